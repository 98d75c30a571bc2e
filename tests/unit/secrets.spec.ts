import { test } from '@japa/runner'
import { maskUrlCredentials } from '../../src/subscriptions/secrets.js'

test.group('Secrets | a URL shown back', () => {
  test('{title}')
    .with([
      {
        title: 'without credentials, unchanged',
        url: 'https://example.com/hook?a=1',
        shown: 'https://example.com/hook?a=1',
      },
      {
        title: 'a username and a password, masked',
        url: 'https://crm:hunter2@example.com/hook',
        shown: 'https://****:****@example.com/hook',
      },
      {
        title: 'a username alone (a token), masked',
        url: 'https://tok3n@example.com/hook',
        shown: 'https://****@example.com/hook',
      },
      {
        title: 'a password alone, masked',
        url: 'https://:hunter2@example.com/hook',
        shown: 'https://:****@example.com/hook',
      },
      { title: 'not a URL, unchanged', url: 'not a url', shown: 'not a url' },
    ])
    .run(({ assert }, { url, shown }) => {
      assert.equal(maskUrlCredentials(url), shown)
    })
})
