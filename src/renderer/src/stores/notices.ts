import { create } from 'zustand'

export interface Notice {
  id: number
  level: 'info' | 'warn' | 'error'
  message: string
}

interface NoticeState {
  notices: Notice[]
  add(level: Notice['level'], message: string): void
  dismiss(id: number): void
}

let seq = 0
/** At most 5 toasts on screen; info fades after 5 s, warnings and errors stay until dismissed. */
export const useNotices = create<NoticeState>((set, get) => ({
  notices: [],
  add(level, message) {
    const id = ++seq
    set((s) => ({ notices: [...s.notices.slice(-4), { id, level, message }] }))
    if (level === 'info') setTimeout(() => get().dismiss(id), 5000)
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}))
