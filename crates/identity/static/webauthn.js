// Security keys and passkeys (WebAuthn) on Publica's identity pages. Every page works without
// this script: it only reveals the forms marked `data-webauthn` when the browser can use
// WebAuthn, and runs their ceremony: ask the server for options, let the authenticator answer,
// send the answer back, and go where the server says. The CSRF token travels in the query
// string, as the page layer accepts; the challenge state stays on the server.
'use strict';

(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (const b of bytes) {
      binary += String.fromCharCode(b);
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map((d) => Object.assign({}, d, { id: fromBase64url(d.id) }));
  }

  function creationOptions(options) {
    const pk = Object.assign({}, options.publicKey);
    pk.challenge = fromBase64url(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: fromBase64url(pk.user.id) });
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(options) {
    const pk = Object.assign({}, options.publicKey);
    pk.challenge = fromBase64url(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    return { publicKey: pk };
  }

  function registration(credential) {
    const results = credential.getClientExtensionResults ? credential.getClientExtensionResults() : {};
    const extensions = results.credProps ? { credProps: results.credProps } : {};
    const transports = credential.response.getTransports ? credential.response.getTransports() : undefined;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(credential.response.attestationObject),
        clientDataJSON: toBase64url(credential.response.clientDataJSON),
        transports: transports,
      },
      extensions: extensions,
    };
  }

  function assertion(credential) {
    const r = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64url(r.authenticatorData),
        clientDataJSON: toBase64url(r.clientDataJSON),
        signature: toBase64url(r.signature),
        userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
      },
      extensions: {},
    };
  }

  async function post(url, csrf, body, fallback) {
    const response = await fetch(url + '?_csrf=' + encodeURIComponent(csrf), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (e) {
      answer = {};
    }
    if (!response.ok) {
      throw new Error(answer.message || fallback);
    }
    return answer;
  }

  // Go where the server says. Back to this very page (a new key on the account page) is a
  // reload, which keeps the place on the page; a change of the fragment alone would not load it.
  function go(to) {
    const target = new URL(to, window.location.href);
    const here = window.location;
    if (target.pathname === here.pathname && target.search === here.search) {
      here.reload();
    } else {
      here.assign(target.href);
    }
  }

  function start(form) {
    const kind = form.dataset.webauthn;
    const status = form.querySelector('[data-webauthn-status]');
    const button = form.querySelector('button[type="submit"]');
    const say = (text) => {
      if (status) {
        status.textContent = text;
        status.hidden = !text;
      }
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const csrf = data.get('_csrf') || '';
      const fields = {};
      for (const [key, value] of data.entries()) {
        if (key !== '_csrf') {
          fields[key] = String(value);
        }
      }
      const remember = document.getElementById('remember');
      if (kind !== 'register' && remember && remember.form !== form) {
        fields.remember = remember.checked ? '1' : '';
      }
      say('');
      button.disabled = true;
      try {
        const begun = await post(form.dataset.options, csrf, fields, form.dataset.msgFailed);
        const credential = kind === 'register'
          ? await navigator.credentials.create(creationOptions(begun.options))
          : await navigator.credentials.get(requestOptions(begun.options));
        if (!credential) {
          throw new Error(form.dataset.msgCancelled);
        }
        const answer = kind === 'register' ? registration(credential) : assertion(credential);
        const body = Object.assign({}, fields, { ceremony: begun.ceremony, credential: answer });
        const done = await post(form.dataset.finish, csrf, body, form.dataset.msgFailed);
        go(done.redirect);
      } catch (error) {
        const cancelled = error && (error.name === 'NotAllowedError' || error.name === 'AbortError');
        say(cancelled ? form.dataset.msgCancelled : (error && error.message) || form.dataset.msgFailed);
        button.disabled = false;
      }
    });
  }

  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    start(form);
    const section = form.closest('[data-webauthn-section]') || form;
    section.hidden = false;
  }
  for (const note of document.querySelectorAll('[data-webauthn-without-script]')) {
    note.hidden = true;
  }
})();
