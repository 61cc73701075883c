// While the server cannot be reached: a banner says since when and what happens next, and the
// values the page shows are marked as last known (html.studio-offline) and the page beside the banner is inert. Blazor drives it through
// the element #components-reconnect-modal (App.razor): it sets a class per state and raises
// 'components-reconnect-state-changed'. Blazor's own reconnect UI is not used: it says "Rejoin
// failed" over a page that still reads as live, and it does not reload once the server is back.
(() => {
  const banner = document.getElementById('components-reconnect-modal');
  if (!banner) return;
  const text = banner.querySelector('[data-part=text]');
  let since = null;
  let poll = null;

  const clock = d => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  // Offline, everything but the banner is inert: its buttons and links would act on a session that is gone
  // (a click did nothing, or led to an error page), so they cannot be clicked, focused or typed into until it is back.
  const offline = on => {
    document.documentElement.classList.toggle('studio-offline', on);
    for (const element of document.body.children) {
      if (element !== banner && element.tagName !== 'SCRIPT') element.inert = on;
    }
  };
  const reload = () => location.reload();

  // After Blazor gives up retrying, ask the server itself: any answer (even 401 or a redirect) means
  // it is back, and a fresh page is the only way to a new session.
  function pollUntilBack() {
    poll ??= setInterval(async () => {
      try {
        await fetch(location.pathname, { method: 'HEAD', cache: 'no-store', redirect: 'manual' });
        reload();
      } catch { /* still down */ }
    }, 3000);
  }

  banner.querySelector('[data-part=reload]').addEventListener('click', reload);
  banner.addEventListener('components-reconnect-state-changed', e => {
    const { state, currentAttempt } = e.detail;
    banner.dataset.state = state;
    if (state === 'hide') {
      since = null;
      offline(false);
      if (poll) { clearInterval(poll); poll = null; }
      return;
    }
    since ??= new Date();
    offline(true);
    switch (state) {
      case 'show':
      case 'retrying':
      case 'paused':
        text.textContent = `The server stopped answering at ${clock(since)}: reconnecting` +
          (currentAttempt > 1 ? ` (attempt ${currentAttempt})` : '') +
          '. What this page shows is as of then; nothing you queued is lost.';
        break;
      case 'failed':
        text.textContent = `The server has not answered since ${clock(since)}. This page reloads by itself once it is back.`;
        pollUntilBack();
        break;
      default: // 'rejected', 'resume-failed': the server is back but this page's session is gone.
        text.textContent = 'The server restarted: reloading the page…';
        reload();
    }
  });
})();
