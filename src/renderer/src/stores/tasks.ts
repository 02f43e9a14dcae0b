import { create } from 'zustand'
import type { TaskFilters } from '../data/tasks.ts'

/**
 * The Tasks view's UI state: the filter the operator set (kept across view switches). The rows
 * themselves are server state: tasksQuery in data/tasks.ts.
 */
interface TasksUiState {
  filters: TaskFilters
  setFilters(filters: TaskFilters): void
}

export const useTasksUi = create<TasksUiState>((set) => ({
  filters: {},
  setFilters: (filters) => set({ filters }),
}))
