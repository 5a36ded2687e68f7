// Reading RTP back in tests: the NAL unit types an H.264 packet flow carries (single NAL units and FU-A starts).
const FU_A = 28;

export function depacketizedTypes(packets: readonly Buffer[]): number[] {
  const types: number[] = [];
  for (const p of packets) {
    const type = p[12]! & 0x1f;
    if (type !== FU_A) types.push(type);
    else if (p[13]! & 0x80) types.push(p[13]! & 0x1f);
  }
  return types;
}
