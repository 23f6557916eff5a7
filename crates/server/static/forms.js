// Feedback while a long form is sent: a form with data-busy="…" says so in its status line
// (a live region, so a screen reader hears it too), shows an indeterminate progress bar and
// disables its buttons, so that a large upload is not sent twice. The forms work without it.
// The project's own code, MIT OR Apache-2.0.
(function () {
  'use strict';

  function size(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + ' MB';
    if (bytes >= 1024) return Math.round(bytes / 1024) + ' kB';
    return bytes + ' bytes';
  }

  function setUp(form) {
    var status = form.querySelector('.busy');
    if (!status) return;
    form.addEventListener('submit', function () {
      var words = form.getAttribute('data-busy');
      var file = form.querySelector('input[type=file]');
      if (file && file.files && file.files[0]) {
        words += ' (' + file.files[0].name + ', ' + size(file.files[0].size) + ')';
      }
      status.textContent = words + ': this can take a little while for a large file.';
      var bar = document.createElement('progress');
      bar.setAttribute('aria-label', words);
      status.appendChild(document.createTextNode(' '));
      status.appendChild(bar);
      status.hidden = false;
      // Disabled after this turn, so the button's own name and value are still sent.
      window.setTimeout(function () {
        form.querySelectorAll('button').forEach(function (b) {
          b.disabled = true;
        });
        form.setAttribute('aria-busy', 'true');
      }, 0);
    });
  }

  document.querySelectorAll('form[data-busy]').forEach(setUp);
})();
