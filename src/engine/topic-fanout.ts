// Topic broadcasts of one Engine.IO server: one native publish per frame and Bun server for the
// sessions on WebSocket, a JS loop over the (few) sessions still on long-polling.
import type { LivePorts } from "./live-ports.ts";
import { Session } from "./session.ts";
import type { EngineSession, MessageData } from "./types.ts";

export class TopicFanout {
  private readonly polling = new Map<string, Set<Session>>();

  constructor(private readonly ports: LivePorts) {}

  /** Sends messages to every session subscribed to the topic, except `except`. */
  publish(topic: string, messages: readonly MessageData[], except?: EngineSession): void {
    const exceptWs = except instanceof Session ? except.websocket : undefined;
    const exceptPort = exceptWs ? (except as Session).websocketPort : undefined;
    const ports = this.ports.list;
    if (ports.length > 0) {
      for (const message of messages) {
        const frame = typeof message === "string" ? `4${message}` : message;
        for (const port of ports) {
          // ws.publish reaches every subscriber on the sender's server but the sender itself.
          if (port === exceptPort) exceptWs?.publish(topic, frame);
          else port.publish(topic, frame);
        }
      }
    }
    const polling = this.polling.get(topic);
    if (polling) for (const session of polling) if (session !== except) session.write(messages);
  }

  subscribePolling(session: Session, topic: string): void {
    let members = this.polling.get(topic);
    if (!members) this.polling.set(topic, (members = new Set()));
    members.add(session);
  }

  unsubscribePolling(session: Session, topic: string): void {
    const members = this.polling.get(topic);
    if (!members) return;
    members.delete(session);
    if (members.size === 0) this.polling.delete(topic);
  }
}
