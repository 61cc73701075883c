// The page's light or dark theme, as the layout sets it (MainLayout.razor through settings.js):
// chart axes read their colours from it at every draw, and charts redraw when it changes.

export const isDark = () => document.documentElement.dataset.theme === 'dark';

// Colours of axis text, grid and ticks for the current theme.
export function inkColours() {
  return isDark()
    ? { text: '#c9ccd6', grid: 'rgba(255, 255, 255, 0.12)', ticks: 'rgba(255, 255, 255, 0.25)' }
    : { text: '#303030', grid: 'rgba(0, 0, 0, 0.07)', ticks: 'rgba(0, 0, 0, 0.15)' };
}

// A uPlot axis whose colours follow the theme.
// Its tick labels and name are 13 px (uPlot draws 12 px by default; canvas text is not scaled with the page).
export function axis(options = {}) {
  return {
    stroke: () => inkColours().text,
    font: '13px system-ui, sans-serif',
    labelFont: 'bold 13px system-ui, sans-serif',
    ...options,
    grid: { stroke: () => inkColours().grid, width: 1, ...(options.grid || {}) },
    ticks: { stroke: () => inkColours().ticks, width: 1, ...(options.ticks || {}) },
  };
}

// Calls `redraw` whenever the theme changes; returns what stops it.
export function onThemeChange(redraw) {
  window.addEventListener('studio-theme', redraw);
  return () => window.removeEventListener('studio-theme', redraw);
}
