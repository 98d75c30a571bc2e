import { configPkg } from '@adonisjs/eslint-config'

export default configPkg({
  ignores: [
    'build/**',
    'tmp/**',
    'tests/app/tmp/**',
    'tests/app/docs_snippets/**',
    'bench/tmp/**',
    'tests/v6/.work/**',
    'tests/v7/.work/**',
    'tests/v7/.tools/**',
  ],
})
