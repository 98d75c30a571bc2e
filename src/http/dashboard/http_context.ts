/**
 * The dashboard runs on the host's session and Edge: their additions to
 * HttpContext (`ctx.session`, `ctx.view`) are typed here.
 */
import type {} from '@adonisjs/session/session_middleware'
import type {} from '@adonisjs/core/providers/edge_provider'
