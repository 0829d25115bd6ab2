/**
 * One etcd watcher on its own gRPC stream, read as a queue of responses.
 *
 * The store drives etcd's Watch RPC directly instead of through etcd3's `Watcher`, because that
 * class resumes after a reconnect from the revision in the last response *header* (including the
 * `created` response, whose header is etcd's current revision, not the watch's progress). A watch
 * that reconnects before it has caught up would then skip events, and a compaction cancel arrives
 * as an error without its `compact_revision`. Here the caller decides where to resume and sees
 * every response as etcd sent it.
 */
import type { Etcd3, IWatchCreateRequest, IWatchResponse } from 'etcd3';

type Stream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

export class RawWatch {
  private readonly queue: IWatchResponse[] = [];
  private waiter: { resolve: (r: IWatchResponse) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private closed = false;

  private constructor(private readonly stream: Stream) {
    stream.on('data', (res: IWatchResponse) => {
      if (this.closed) return;
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = undefined;
        waiter.resolve(res);
      } else {
        this.queue.push(res);
      }
    });
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('end', () => this.fail(new Error('etcd ended the watch stream')));
  }

  /** Open a stream and ask etcd for one watcher on it. Errors surface from `next()`. */
  static async open(client: Etcd3, request: IWatchCreateRequest): Promise<RawWatch> {
    const stream = await client.watchClient.watch();
    const watch = new RawWatch(stream);
    stream.write({ create_request: request });
    return watch;
  }

  /** The next response; once the stream has failed, rejects after the responses already received. */
  next(): Promise<IWatchResponse> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The responses already received and not yet read, in order (without waiting). */
  takeQueued(): IWatchResponse[] {
    return this.queue.splice(0);
  }

  /** End the stream quietly (a pending `next()` rejects). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.fail(new Error('watch closed'));
    try {
      // end() first: etcd3 resets the whole connection when a stream that is still writable fails,
      // and the cancellation below surfaces as such a failure.
      this.stream.end();
      this.stream.cancel();
    } catch {
      // already gone
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err);
  }
}
