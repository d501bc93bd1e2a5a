/**
 * Errors as values, rendered as one line: every error this library returns is a tagged
 * object with a `message`; an error that wraps another keeps it as `cause`.
 *
 * @category Errors
 * @module
 */
export type { TextError } from './text-error.js'
export { reportErrors } from './report.js'
export { showError, type TaggedError } from './show-error.js'
