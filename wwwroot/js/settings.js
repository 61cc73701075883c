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
