/**
 * A worker script's source in CodeMirror 6, read-only: a gutter (and the line numbers) toggle
 * breakpoints on click, and the line the process is paused on is highlighted and scrolled to. The
 * editor is created once; breakpoints, the paused line and the text reach it as transactions.
 */
import { javascript } from '@codemirror/lang-javascript'
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { EditorState, RangeSet, StateEffect, StateField } from '@codemirror/state'
import { Decoration, EditorView, GutterMarker, gutter, lineNumbers, type DecorationSet } from '@codemirror/view'
import { useEffect, useRef } from 'react'

const setBreakpoints = StateEffect.define<number[]>()
const setPausedLine = StateEffect.define<number | null>()

class BreakpointMarker extends GutterMarker {
  constructor(private readonly spacer = false) {
    super()
  }
  override toDOM(): Node {
    const dot = document.createElement('span')
    // The spacer (an invisible copy that sizes the gutter) is not a breakpoint.
    dot.className = this.spacer ? 'cm-breakpoint-spacer' : 'cm-breakpoint-dot'
    dot.textContent = '●'
    return dot
  }
}
const breakpointMarker = new BreakpointMarker()
const spacerMarker = new BreakpointMarker(true)

/** 1-based line numbers with a breakpoint, as gutter markers. */
const breakpointField = StateField.define<RangeSet<GutterMarker>>({
  create: () => RangeSet.empty,
  update(set, tr) {
    for (const e of tr.effects) {
      if (!e.is(setBreakpoints)) continue
      const doc = tr.state.doc
      const lines = [...new Set(e.value.filter((n) => n >= 1 && n <= doc.lines))].sort((a, b) => a - b)
      return RangeSet.of(lines.map((n) => breakpointMarker.range(doc.line(n).from)))
    }
    return tr.docChanged ? RangeSet.empty : set
  },
})

const pausedField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) {
      if (!e.is(setPausedLine)) continue
      const n = e.value
      if (n === null || n < 1 || n > tr.state.doc.lines) return Decoration.none
      return Decoration.set([Decoration.line({ class: 'cm-paused-line' }).range(tr.state.doc.line(n).from)])
    }
    return tr.docChanged ? Decoration.none : deco
  },
  provide: (f) => EditorView.decorations.from(f),
})

export function SourceView({ text, breakpoints, pausedLine, onToggle }: { text: string; breakpoints: number[]; pausedLine: number | null; onToggle: (line: number) => void }) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const toggle = useRef(onToggle)
  toggle.current = onToggle

  useEffect(() => {
    const click = (v: EditorView, line: { from: number }) => {
      toggle.current(v.state.doc.lineAt(line.from).number)
      return true
    }
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: '',
        extensions: [
          breakpointField,
          pausedField,
          gutter({ class: 'cm-breakpoint-gutter', markers: (v) => v.state.field(breakpointField), initialSpacer: () => spacerMarker, domEventHandlers: { mousedown: click } }),
          lineNumbers({ domEventHandlers: { mousedown: click } }),
          javascript(),
          syntaxHighlighting(defaultHighlightStyle),
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
        ],
      }),
    })
    view.current = v
    return () => {
      v.destroy()
      view.current = null
    }
  }, [])

  useEffect(() => {
    const v = view.current!
    if (v.state.doc.toString() !== text) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } })
    v.dispatch({ effects: [setBreakpoints.of(breakpoints), setPausedLine.of(pausedLine)] })
    if (pausedLine !== null && pausedLine >= 1 && pausedLine <= v.state.doc.lines) {
      v.dispatch({ effects: EditorView.scrollIntoView(v.state.doc.line(pausedLine).from, { y: 'center' }) })
    }
  }, [text, breakpoints, pausedLine])

  return <div className="debug-source" ref={host} data-testid="debug-source" data-paused-line={pausedLine ?? ''} />
}
