// adonis-exo dashboard: small conveniences over pages that work without it.
;(function () {
  'use strict'

  // Show only the chosen resource's events; hidden groups are disabled so they are not sent.
  function showEventsOf(resource) {
    document.querySelectorAll('[data-events-of]').forEach(function (group) {
      var chosen = group.getAttribute('data-events-of') === resource
      group.hidden = !chosen
      group.querySelectorAll('input').forEach(function (input) {
        input.disabled = !chosen
      })
    })
  }

  // Show only the fields of the chosen authorization type.
  function showAuthFields() {
    var checked = document.querySelector('input[name="auth_type"]:checked')
    var type = checked ? checked.value : 'none'
    document.querySelectorAll('[data-auth-fields]').forEach(function (fields) {
      fields.hidden = fields.getAttribute('data-auth-fields') !== type
    })
  }

  document.addEventListener('DOMContentLoaded', function () {
    var resourceSelect = document.querySelector('[data-resource-select]')
    if (resourceSelect) {
      showEventsOf(resourceSelect.value)
      resourceSelect.addEventListener('change', function () {
        showEventsOf(resourceSelect.value)
      })
    }

    if (document.querySelector('[data-auth-type]')) {
      showAuthFields()
      document.querySelectorAll('input[name="auth_type"]').forEach(function (radio) {
        radio.addEventListener('change', showAuthFields)
      })
    }

    document.querySelectorAll('[data-select-on-focus]').forEach(function (input) {
      input.addEventListener('focus', function () {
        input.select()
      })
    })

    document.querySelectorAll('[data-copy]').forEach(function (button) {
      if (!navigator.clipboard) return
      button.hidden = false
      button.addEventListener('click', function () {
        var source = document.querySelector(button.getAttribute('data-copy'))
        navigator.clipboard.writeText(source.value).then(function () {
          button.textContent = 'Copied'
        })
      })
    })
  })
})()
