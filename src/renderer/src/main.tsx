import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import { installShortcuts } from './keyboard.ts'
import { startPushes } from './stores/push.ts'
import { startTransport } from './transport/index.ts'
import './styles/base.css'
import './styles/layout.css'
import './styles/tables.css'
import './styles/forms.css'
import './styles/flow.css'

startTransport()
startPushes()
installShortcuts()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
