// Live preview of the notify block's template form.
//
// The form works without this script: its "Preview" button has the server render the whole
// page again. Where scripts run, the preview follows what is typed instead: 300 ms after the
// last change, the form (with its CSRF token) is posted to the endpoint the form names in
// `data-preview`, and the fragment the server renders replaces the preview's content. A polite
// status message says the preview changed; focus stays where it is.
(function () {
  'use strict';

  var DELAY_MS = 300;
  var form = document.querySelector('form[data-preview]');
  var region = document.getElementById('preview-content');
  var status = document.getElementById('preview-status');
  if (!form || !region || !status || !window.fetch || !window.AbortController
    || !window.DOMParser || !window.URLSearchParams || !window.FormData || !region.replaceChildren) {
    return;
  }

  var timer = 0;
  var pending = null;
  var latest = 0;

  function say(message) {
    status.textContent = message || '';
  }

  function refresh() {
    latest += 1;
    var request = latest;
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    var body = new URLSearchParams(new FormData(form));
    body.set('action', 'preview');
    // Emptied first, so that the same message twice is announced twice.
    say('');
    region.setAttribute('aria-busy', 'true');
    fetch(form.getAttribute('data-preview'), {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      // A session that ended answers with a redirect to the sign-in page: not a preview.
      redirect: 'error',
      headers: { Accept: 'text/html' },
      signal: pending.signal,
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('the preview answered ' + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (request !== latest) {
          return;
        }
        var fragment = new DOMParser().parseFromString(html, 'text/html');
        region.replaceChildren.apply(region, Array.prototype.slice.call(fragment.body.childNodes));
        region.removeAttribute('aria-busy');
        say(status.getAttribute('data-updated'));
      })
      .catch(function (error) {
        if (request !== latest || error.name === 'AbortError') {
          return;
        }
        region.removeAttribute('aria-busy');
        say(status.getAttribute('data-failed'));
      });
  }

  form.addEventListener('input', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  });
}());
