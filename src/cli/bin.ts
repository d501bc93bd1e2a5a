/**
 * The process entry of the CLI as an ES module (`node dist/cli/bin.js`). `bin/ramaddr`
 * runs the same {@link main} from one bundled script instead (see tools/bundle-cli.mjs).
 *
 * @module
 */
import { main } from './entry.js'

process.exitCode = await main(process.argv.slice(2))
