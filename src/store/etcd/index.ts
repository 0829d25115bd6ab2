/**
 * The etcd backend of the Store (see ../store.ts): every operation is an etcd request on etcd's own
 * revisions, and one etcd watch per store feeds any number of watchers through the shared WatchHub.
 * Open it with `openEtcdStore({ endpoints, prefix })`; `prefix` keeps several stores (or tests) apart
 * in one etcd.
 */
export { EtcdStore, type EtcdStoreOptions, type EtcdWatchStatus, openEtcdStore } from './etcd-store.js';
