import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";

const keyOf = (socket: Pick<Socket, "remoteAddress" | "remotePort">): string => `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`;

/**
 * Connections the server accepted that have not delivered a request yet: the requests already on their way.
 * Requests a client sends together travel on separate TLS connections and arrive a handshake apart, but every one
 * of those connections is accepted before the first request is read; waiting for them is how the emulator tells
 * "sent together" from "sent after", by events rather than by a sleep.
 */
export class PendingConnections {
  private readonly pending = new Set<string>();
  private readonly waiters = new Set<{ keys: Set<string>; resolve: () => void }>();

  /** Follows the server's accepted connections (the raw TCP socket, before TLS). */
  watch(server: EventEmitter): void {
    server.on("connection", (socket: Socket) => {
      const key = keyOf(socket);
      this.pending.add(key);
      socket.once("close", () => this.delivered(key));
    });
  }

  /** A request arrived on this socket: its connection is no longer on its way. */
  arrived(socket: Pick<Socket, "remoteAddress" | "remotePort">): void {
    this.delivered(keyOf(socket));
  }

  /** Resolves once every connection accepted so far has delivered its first request or closed. */
  async settled(): Promise<void> {
    // One turn of the event loop lets connections already accepted by the kernel reach the `connection` handler.
    await nextTurn();
    if (this.pending.size === 0) return;
    const keys = new Set(this.pending);
    await new Promise<void>((resolve) => this.waiters.add({ keys, resolve }));
  }

  private delivered(key: string): void {
    if (!this.pending.delete(key)) return;
    for (const waiter of [...this.waiters]) {
      waiter.keys.delete(key);
      if (waiter.keys.size > 0) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
