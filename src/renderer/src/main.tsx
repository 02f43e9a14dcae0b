import { QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import { refetchOnReconnect } from './data/live.ts'
import { queryClient } from './data/query-client.ts'
import { installShortcuts } from './keyboard.ts'
import { startRouter } from './router/hash-router.ts'
import { startPushes } from './stores/push.ts'
import { startTransport } from './transport/index.ts'
import './styles/base.css'
import './styles/layout.css'
import './styles/tables.css'
import './styles/forms.css'
import './styles/flow.css'

// The transport first: it takes `#token=…` out of the address before the router reads the hash.
startTransport()
startRouter()
startPushes(queryClient)
refetchOnReconnect(queryClient)
installShortcuts()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
)
