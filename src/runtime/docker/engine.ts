/**
 * The Docker Engine client the driver talks through: docker-modem (the maintained transport
 * dockerode is built on: HTTP over the socket, stream hijacking, stdout/stderr demultiplexing)
 * with dockerode's own Container and Image classes, plus the handful of engine-level calls the
 * driver makes. Not dockerode's top-level `Docker` class: importing it loads gRPC and protobufjs
 * (for BuildKit sessions, which Shoal never opens), about 8 MB in every agent.
 *
 * The calls below are the Engine API's (https://docs.docker.com/engine/api/v1.41/), with the
 * status codes dockerode accepts for them, so errors look the same as through dockerode.
 */
import { createRequire, Module } from 'node:module';
import type { Readable } from 'node:stream';
import type Modem from 'docker-modem';
import type Docker from 'dockerode';

const require = createRequire(import.meta.url);
preventSshTransport();
const ModemClass = require('docker-modem') as typeof Modem;
const ContainerClass = require('dockerode/lib/container.js') as new (
  modem: Modem,
  id: string,
) => Docker.Container;
const ImageClass = require('dockerode/lib/image.js') as new (modem: Modem, name: string) => Docker.Image;

/**
 * docker-modem loads its ssh:// transport (the ssh2 package, with a native addon and its own
 * cryptography) when it is itself loaded, though Shoal only reaches dockerd over its unix socket.
 * Node's module cache may be given entries (https://nodejs.org/api/modules.html#requirecache):
 * that transport's module is put there first, as one that refuses, so ssh2 is never loaded:
 * a few MB less in every agent.
 */
function preventSshTransport(): void {
  const path = require.resolve('docker-modem/lib/ssh.js');
  if (require.cache[path]) return;
  const refusing = new Module(path);
  refusing.filename = path;
  refusing.loaded = true;
  refusing.exports = () => {
    throw new Error('docker over ssh:// is not supported by Shoal: give the agent a unix socket');
  };
  require.cache[path] = refusing;
}

/** The parts of GET /networks/NAME the driver reads. */
export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  IPAM?: { Config?: Array<{ Subnet?: string; IPRange?: string; Gateway?: string }> };
  Containers?: Record<string, unknown>;
  Labels?: Record<string, string>;
}

const OK = { 200: true, 500: 'server error' } as const;

export class Engine {
  readonly modem: Modem;

  constructor(options: { socketPath: string }) {
    this.modem = new ModemClass({ socketPath: options.socketPath });
    // dockerode's classes build their promises with the modem's constructor (its `Docker` sets it).
    (this.modem as unknown as { Promise: PromiseConstructor }).Promise = Promise;
  }

  getContainer(id: string): Docker.Container {
    return new ContainerClass(this.modem, id);
  }

  getImage(name: string): Docker.Image {
    return new ImageClass(this.modem, name);
  }

  /** POST /containers/create?name=NAME with the container's configuration as the body. */
  async createContainer(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const { name, ...body } = options;
    const created = await this.dial<{ Id: string }>({
      path: '/containers/create?',
      method: 'POST',
      options: { _query: name ? { name } : {}, _body: body },
      statusCodes: {
        200: true,
        201: true,
        400: 'bad parameter',
        404: 'no such image',
        409: 'conflict',
        500: 'server error',
      },
    });
    return this.getContainer(created.Id);
  }

  /** GET /containers/json (filters as Docker's JSON string). */
  listContainers(options: { all?: boolean; filters?: string }): Promise<Docker.ContainerInfo[]> {
    return this.dial({
      path: '/containers/json?',
      method: 'GET',
      options,
      statusCodes: { ...OK, 400: 'bad parameter' },
    });
  }

  /** GET /images/json. */
  listImages(): Promise<Docker.ImageInfo[]> {
    return this.dial({ path: '/images/json?', method: 'GET', options: {}, statusCodes: OK });
  }

  /** POST /images/create?fromImage=REPO&tag=TAG: a pull; the answer is a stream of progress lines. */
  pull(auth: Docker.AuthConfig | undefined, options: { fromImage: string; tag: string }): Promise<Readable> {
    return this.dial({
      path: '/images/create?',
      method: 'POST',
      options,
      ...(auth ? { authconfig: auth } : {}),
      isStream: true,
      statusCodes: OK,
    });
  }

  /** POST /images/create?fromSrc=- with a root filesystem tar as the body: `docker import`. */
  importImage(
    tar: Readable,
    options: { repo?: string; tag?: string; changes?: string[] },
  ): Promise<Readable> {
    return this.dial({
      path: '/images/create?',
      method: 'POST',
      options: { fromSrc: '-', ...options },
      file: tar,
      isStream: true,
      statusCodes: OK,
    });
  }

  /** GET /events: a stream of JSON lines until the connection closes. */
  events(options: { filters?: string }): Promise<Readable> {
    return this.dial({ path: '/events?', method: 'GET', options, isStream: true, statusCodes: OK });
  }

  /** GET /networks/NAME; undefined when there is none. */
  async inspectNetwork(name: string): Promise<NetworkInspect | undefined> {
    try {
      return await this.dial<NetworkInspect>({
        path: `/networks/${encodeURIComponent(name)}`,
        method: 'GET',
        statusCodes: { ...OK, 404: 'no such network' },
      });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  /** POST /networks/create. */
  createNetwork(body: Record<string, unknown>): Promise<{ Id: string }> {
    return this.dial({
      path: '/networks/create',
      method: 'POST',
      options: { _body: body },
      statusCodes: {
        200: true,
        201: true,
        400: 'bad parameter',
        403: 'forbidden',
        409: 'conflict',
        500: 'server error',
      },
    });
  }

  /** DELETE /networks/NAME. */
  removeNetwork(name: string): Promise<void> {
    return this.dial({
      path: `/networks/${encodeURIComponent(name)}`,
      method: 'DELETE',
      statusCodes: { 204: true, 200: true, 403: 'forbidden', 404: 'no such network', 500: 'server error' },
    });
  }

  /** GET /info. */
  info(): Promise<Record<string, unknown>> {
    return this.dial({ path: '/info', method: 'GET', statusCodes: OK });
  }

  private dial<T>(options: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.modem.dial(options as never, (err: unknown, data: unknown) => {
        if (err) reject(err);
        else resolve(data as T);
      });
    });
  }
}
