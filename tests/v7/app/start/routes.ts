/*
|--------------------------------------------------------------------------
| Routes file
|--------------------------------------------------------------------------
|
| The app's own pages are left out: Exo's provider registers its API
| (/exo-api) and dashboard (/exo) routes itself.
|
*/

import router from '@adonisjs/core/services/router'

router.get('/', () => ({ app: 'exo-v7-smoke' }))
