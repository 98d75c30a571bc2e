import { timeRequests, withSeededApi } from '../api_subject.js'
import type { BenchContext } from '../host_app.js'

/**
 * `GET /exo-api/webhooks/:id/deliveries`, first page, over HTTP to the host
 * app's web server, with a bearer token from `node ace exo:token`, for a
 * subscription with `rows` attempts, one a second.
 */
export async function deliveriesList(
  ctx: BenchContext,
  { rows, requests }: { rows: number; requests: number }
) {
  const seed = { owner: 'api-owner@example.com', rows, stepMs: 1000 }
  return withSeededApi(ctx, seed, async ({ origin, token, subscriptionId }) => {
    const url = `${origin}/exo-api/webhooks/${subscriptionId}/deliveries`
    const listed = (page: { data: unknown[] }) => page.data.length > 0
    await timeRequests(url, token, Math.ceil(requests / 5), listed)
    const firstPage = await timeRequests(url, token, requests, listed)
    const failedPage = await timeRequests(`${url}?status=failed`, token, requests, listed)
    return {
      value: firstPage.p95_ms,
      detail: { rows, requests, first_page: firstPage, status_failed_first_page: failedPage },
    }
  })
}
