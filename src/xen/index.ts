/**
 * Xen: the host p2m, alternate p2m views (altp2m) with access rights, gfn remaps and the
 * suppress-#VE bit, views normalised against the host p2m, log-dirty keyed by backing
 * frame, passthrough DMA, and the migration stream (Xen's v2 framing plus this project's
 * extension records for views). See each module for what follows Xen and what does not.
 *
 * @module
 */
export * as mfn from './mfn.js'
export * as access from './access.js'
export * as p2mType from './p2m-type.js'
export type { P2mType, WriteClass } from './p2m-type.js'
export type * from './errors.js'
export * as hostP2m from './host-p2m.js'
export type { HostP2m, P2mEntry, P2mRun, P2mRunSpec } from './host-p2m.js'
export * as view from './view.js'
export * as altp2mOps from './altp2m-ops.js'
export type { Caller } from './altp2m-ops.js'
export * as domain from './domain.js'
export { normalise, denormalise } from './normalise.js'
export type { NormalisedView, Remap, AccessDiff } from './normalise.js'
export * as logDirty from './log-dirty.js'
export * as stream from './stream.js'
export { encode, encodeChunks, CHUNK_SIZE } from './encode.js'
export type { StreamPlan } from './encode.js'
export * as pageRuns from './page-runs.js'
export type { PageRuns, PfnRun } from './page-runs.js'
export { decode } from './decode.js'
export * as migrate from './migrate.js'
export * as scenario from './scenario.js'
