import { Suspense, lazy, useEffect } from 'react'
import { Help } from './components/Help.tsx'
import { Nav } from './components/Nav.tsx'
import { Notices } from './components/Notices.tsx'
import { TopBar } from './components/TopBar.tsx'
import { useUi } from './stores/ui.ts'
import { useKeepConnectionSelected } from './data/selection.ts'
import { ActivityView } from './views/activity/ActivityView.tsx'
import { ClusterView } from './views/cluster/ClusterView.tsx'
import { ConnectionsView } from './views/connections/ConnectionsView.tsx'
import { DronesView } from './views/drones/DronesView.tsx'
import { EnqueueView } from './views/enqueue/EnqueueView.tsx'
import { FlowView } from './views/flow/FlowView.tsx'
import { SchedulesView } from './views/schedules/SchedulesView.tsx'
import { TasksView } from './views/tasks/TasksView.tsx'
import { TypesView } from './views/types/TypesView.tsx'
import { WorkersView } from './views/workers/WorkersView.tsx'

// CodeMirror doubles the bundle (≈ 390 kB of 780 kB minified): only the debugger needs it, so it loads on first use.
const DebuggerView = lazy(() => import('./views/debugger/DebuggerView.tsx').then((m) => ({ default: m.DebuggerView })))
// The flame graph's d3 modules load with the Profiles view too.
const ProfilesView = lazy(() => import('./views/profiles/ProfilesView.tsx').then((m) => ({ default: m.ProfilesView })))

function CurrentView() {
  const view = useUi((s) => s.view)
  switch (view) {
    case 'connections':
      return <ConnectionsView />
    case 'workers':
      return <WorkersView />
    case 'drones':
      return <DronesView />
    case 'flow':
      return <FlowView />
    case 'tasks':
      return <TasksView />
    case 'enqueue':
      return <EnqueueView />
    case 'cluster':
      return <ClusterView />
    case 'schedules':
      return <SchedulesView />
    case 'types':
      return <TypesView />
    case 'debugger':
      return (
        <Suspense fallback={<div className="muted">loading the debugger…</div>}>
          <DebuggerView />
        </Suspense>
      )
    case 'profiles':
      return (
        <Suspense fallback={<div className="muted">loading profiles…</div>}>
          <ProfilesView />
        </Suspense>
      )
    case 'activity':
      return <ActivityView />
  }
}

export function App() {
  const theme = useUi((s) => s.theme)
  const view = useUi((s) => s.view)
  useKeepConnectionSelected()

  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = theme
  }, [theme])

  return (
    <div className="app" data-testid="app" data-view={view}>
      <Nav />
      <div className="main">
        <TopBar />
        <main className="view" data-testid={`view-${view}`}>
          <CurrentView />
        </main>
      </div>
      <Notices />
      <Help />
    </div>
  )
}
