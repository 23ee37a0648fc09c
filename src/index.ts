// Public exports of pmehash.

export { PmEHash } from './pm-ehash';
export type { ShareHandle } from './shared-control';
export { PmEHashError, PmEHashCorruptError, PmEHashVersionError } from './errors';
export type { PmEHashErrorCode } from './errors';
export type { BatchOperation, Kv, PmAddress, SearchResult, Uint64 } from '../include-types/kv';
export type { Durability, EhashMetadata, PmEHashOptions, PmEHashStats } from '../include-types/store';
