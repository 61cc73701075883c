// What the pages without charts need from the browser: settings remembered per browser (the runs
// table's columns). The chart modules sit beside their pages (RunPage.razor.js,
// ComparePage.razor.js) and share /js/shared.
export function loadSetting(key) { return localStorage.getItem(`proco.${key}`); }
export function saveSetting(key, value) { localStorage.setItem(`proco.${key}`, value); }

// The theme the layout chose (dark or light): the document says it, and charts redraw in it.
export function applyTheme(dark) {
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  window.dispatchEvent(new Event('studio-theme'));
}

// Keeps a log panel scrolled to its newest line as lines arrive, unless the reader scrolled up.
export function followNewest(el) {
  let atEnd = true;
  el.scrollTop = el.scrollHeight;
  el.addEventListener('scroll', () => { atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 24; });
  new MutationObserver(() => { if (atEnd) el.scrollTop = el.scrollHeight; }).observe(el, { childList: true, subtree: true });
}
