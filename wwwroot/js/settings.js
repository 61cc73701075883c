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

// Copies text to the clipboard; where the page may not (a plain-http address that is not this
// machine), selects it in a hidden box and copies that. True when it was copied.
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return true; }
  } catch { /* fall back below */ }
  const box = Object.assign(document.createElement('textarea'), { value: text });
  box.style.position = 'fixed'; box.style.opacity = '0';
  document.body.append(box);
  box.select();
  const done = document.execCommand('copy');
  box.remove();
  return done;
}

// Focus the first element matching a selector (a panel just opened), if there is one.
export function focusFirst(selector) { document.querySelector(selector)?.focus(); }
