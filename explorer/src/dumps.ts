/**
 * The explorer's input: monitor text pasted or dropped by the reader, sorted into the three
 * dumps `machines.fromDumps` takes, and the reader-facing form of what went wrong (which
 * dump, and the line and column where the text says so).
 *
 * Pure: no DOM. The page (dom/main.ts) calls these and shows the answers.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts/lib/index.js'
import { errors, machines } from '../../src/index.js'
import * as jsonText from '../../src/addresses/json-text.js'

/** The three dumps of one machine state; an empty string is a dump not given. */
export interface DumpTexts {
  /** `info mtree -D` (or `info mtree`). */
  readonly mtree: string
  /** `info mtree -f` of the same state. */
  readonly flat: string
  /** `info ramblock`. */
  readonly ramblock: string
}

/** Which text box a dump goes in. */
export type DumpKind = keyof DumpTexts

/** No dumps at all. */
export const NO_DUMPS: DumpTexts = { mtree: '', flat: '', ramblock: '' }

/**
 * What a pasted or dropped text is, from the lines each command starts with: `info
 * ramblock` has its `Block Name` header, `info mtree -f` its `FlatView #N` lines, a JSON
 * export starts with `{`; anything else goes to the tree parser (which reads partial
 * pastes and says what it could not tell).
 */
export const classify = (text: string): DumpKind | 'json' => {
  const s = text.replace(/^\uFEFF/, '').trimStart()
  if (s.startsWith('{')) return 'json'
  if (/^\s*Block Name\s+PSize/m.test(s)) return 'ramblock'
  if (/^FlatView #\d+/m.test(s)) return 'flat'
  return 'mtree'
}

/** Something the reader gave that could not be read, said where. */
export interface Problem {
  /** The text box it concerns. */
  readonly dump: DumpKind
  /** One line: what and where. */
  readonly message: string
  /** 1-based line in that dump's text, when the error has one. */
  readonly line?: number
  /** 1-based column, when the error has one. */
  readonly column?: number
}

/**
 * `ramaddr qmp`'s live dump as JSON: `{ "mtreeD", "mtreeF", "ramblock" }` (the fields of
 * `LiveDump` from `ramaddr/node`), or the `machines.fromDumps` input `{ "mtree", "flat",
 * "ramblock" }`.
 */
const LiveJson = t.intersection([
  t.type({ mtreeD: t.string }),
  t.partial({ mtreeF: t.string, ramblock: t.string }),
])
const DumpsJson = t.intersection([
  t.type({ mtree: t.string }),
  t.partial({ flat: t.string, ramblock: t.string }),
])
const ExportJson = t.union([LiveJson, DumpsJson])

/**
 * Reads a JSON export into the three dumps. A syntax error is placed at its line and
 * column, a shape error names the io-ts path.
 */
export const fromJson = (text: string): E.Either<Problem, DumpTexts> =>
  pipe(
    jsonText.parse(text),
    E.mapLeft((e): Problem => ({
      dump: 'mtree',
      message: `JSON export: ${e.message}`,
      line: e.line,
      column: e.column,
    })),
    E.chain((value) =>
      pipe(
        ExportJson.decode(value),
        E.bimap(
          (es): Problem => ({
            dump: 'mtree',
            message: `JSON export: expected {"mtreeD","mtreeF","ramblock"} (ramaddr qmp) or {"mtree","flat","ramblock"}: ${errors.reportErrors(es).join('; ')}`,
          }),
          (j): DumpTexts =>
            'mtreeD' in j
              ? { mtree: j.mtreeD, flat: j.mtreeF ?? '', ramblock: j.ramblock ?? '' }
              : { mtree: j.mtree, flat: j.flat ?? '', ramblock: j.ramblock ?? '' },
        ),
      ),
    ),
  )

/**
 * Files or pastes sorted into the three boxes: each text goes where {@link classify} puts
 * it; a JSON export fills all three. Texts later in the list win.
 */
export const sortTexts =
  (texts: ReadonlyArray<string>) =>
  (current: DumpTexts): E.Either<Problem, DumpTexts> =>
    texts.reduce<E.Either<Problem, DumpTexts>>(
      (acc, text) =>
        E.chain((cur: DumpTexts) => {
          const kind = classify(text)
          return kind === 'json' ? fromJson(text) : E.right({ ...cur, [kind]: text })
        })(acc),
      E.right(current),
    )

const KIND_OF: Readonly<Record<machines.DumpError['dump'], DumpKind>> = {
  'info mtree': 'mtree',
  'info mtree -f': 'flat',
  'info ramblock': 'ramblock',
}

/** A `machines.fromDumps` error placed in its text box, at its line and column if any. */
export const problemOf = (e: machines.DumpError): Problem => {
  const c = e.cause
  const where =
    c._tag === 'TextError'
      ? { line: c.line, column: c.column }
      : c._tag === 'FlatViewMismatch'
        ? { line: c.line, column: 1 }
        : {}
  return { dump: KIND_OF[e.dump], message: errors.showError(e), ...where }
}

/** The dumps as `machines.fromDumps` takes them (empty boxes left out). */
export const toDumps = (d: DumpTexts): machines.Dumps => ({
  mtree: d.mtree,
  ...(d.flat.trim() === '' ? {} : { flat: d.flat }),
  ...(d.ramblock.trim() === '' ? {} : { ramblock: d.ramblock }),
})
