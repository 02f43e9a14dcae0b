/** The console's views in nav order; `key` is the second key of its "g" chord (keyboard.ts). */
export const VIEWS = [
  { id: 'connections', label: 'Connections', key: 'c' },
  { id: 'workers', label: 'Workers', key: 'w' },
  { id: 'drones', label: 'Drones', key: 'd' },
  { id: 'flow', label: 'Flow', key: 'f' },
  { id: 'tasks', label: 'Tasks', key: 't' },
  { id: 'enqueue', label: 'Enqueue', key: 'e' },
  { id: 'cluster', label: 'Cluster', key: 'k' },
  { id: 'schedules', label: 'Schedules', key: 's' },
  { id: 'types', label: 'Types', key: 'y' },
  { id: 'debugger', label: 'Debugger', key: 'b' },
  { id: 'profiles', label: 'Profiles', key: 'p' },
  { id: 'activity', label: 'Activity', key: 'a' },
] as const
export type ViewId = (typeof VIEWS)[number]['id']

/** The digit that switches to the view at this index: 1–9 for the first nine, none past them. */
export function viewDigit(index: number): string | null {
  return index < 9 ? String(index + 1) : null
}
