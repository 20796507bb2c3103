// The landing page's one script (SPEC.md 10.10): the fragment (the link secret) is read here, in the
// browser, and never sent anywhere: the page loads nothing, and the CSP forbids connections anyway.
(function () {
  var path = /^\/s\/([A-Za-z0-9_-]{22})$/.exec(location.pathname);
  if (!path) return;
  var secret = /^#([A-Za-z0-9_-]{43})$/.exec(location.hash);
  document.getElementById('relay').hidden = true;
  if (!secret) { document.getElementById('broken').hidden = false; return; }
  // onetimeshare:// means http for a loopback host and https for any other (SPEC.md 2.1), so this
  // page's own address has an app form only when its protocol is the one its host implies.
  var host = location.hostname.toLowerCase();
  var loopback = host === 'localhost' || host === '[::1]' || /^127(\.[0-9]{1,3}){3}$/.test(host);
  if ((location.protocol === 'https:') !== loopback) {
    document.getElementById('open').href = 'onetimeshare://' + location.host + '/s/' + path[1] + '#' + secret[1];
  } else {
    document.getElementById('offer').hidden = true;
    document.getElementById('fallback').hidden = true;
    document.getElementById('paste').hidden = false;
  }
  document.getElementById('link').value = location.href;
  document.getElementById('share').hidden = false;
})();
