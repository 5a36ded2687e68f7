// The RTP packets of one moment of a stream (usually one access unit), framed for TCP interleaving once per
// channel however many readers take them, and where in them a keyframe starts.

export class PacketBatch {
  private readonly framedByChannel = new Map<number, { bytes: Buffer; offsets: number[] }>();

  constructor(
    readonly packets: readonly Buffer[],
    /** index of the first packet that starts a keyframe, or -1 */
    readonly keyframeAt: number,
  ) {}

  /** The batch as `$ channel length packet …` bytes; built once per channel however many readers. */
  framed(channel: number, fromPacket = 0): Buffer {
    let entry = this.framedByChannel.get(channel);
    if (!entry) {
      const total = this.packets.reduce((sum, p) => sum + 4 + p.length, 0);
      const bytes = Buffer.allocUnsafe(total);
      const offsets: number[] = [];
      let at = 0;
      for (const packet of this.packets) {
        offsets.push(at);
        bytes[at] = 0x24;
        bytes[at + 1] = channel;
        bytes.writeUInt16BE(packet.length, at + 2);
        packet.copy(bytes, at + 4);
        at += 4 + packet.length;
      }
      entry = { bytes, offsets };
      this.framedByChannel.set(channel, entry);
    }
    return fromPacket === 0 ? entry.bytes : entry.bytes.subarray(entry.offsets[fromPacket]);
  }
}

/** A reader of a stream's batches (one SETUP'd track of an RTSP session). */
export interface BatchSubscriber {
  deliver(batch: PacketBatch): void;
}
