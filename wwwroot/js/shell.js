// What the page shell does in the browser itself, with no round trip to the server: the skip link
// moves the keyboard's focus to the page (#main-content), so that the next Tab, however quickly it
// follows, stops on the page's first control. Listening in the capture phase runs this before
// Blazor's own link handling, which then leaves the prevented click alone.
document.addEventListener('click', e => {
  const link = e.target instanceof Element ? e.target.closest('a.studio-skip') : null;
  if (!link) return;
  e.preventDefault();
  document.getElementById('main-content')?.focus();
}, true);
