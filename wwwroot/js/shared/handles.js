// The charts the pages mounted, by handle id (what ChartModule.cs holds).

const handles = new Map(); // handle id -> what a page mounted
let nextHandle = 1;

export function register(root, handle) {
  handle.id = nextHandle++;
  handles.set(handle.id, handle);
  root.dataset.studioHandle = handle.id;
  root.dataset.studioReady = 'true';
  return handle.id;
}

// weight 0 to 0.99; smoothShort: smooth per-epoch series shorter than SHORT_SERIES points too.
export function setSmoothing(handleId, weight, smoothShort) {
  handles.get(handleId)?.charts.forEach(c => c.setSmoothing(weight, smoothShort));
}

export async function dispose(handleId) {
  const handle = handles.get(handleId);
  handles.delete(handleId);
  if (handle) await handle.dispose();
}

// The page's first mounted charts: what the browser tests and the UI benchmark read through their own
// module (tests/Shared/studio-test.js, served to their browser only); the page itself never calls it.
export const mounted = () => handles.values().next().value;
