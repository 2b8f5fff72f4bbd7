/**
 * Autonomous systems of large cloud and hosting providers. Real visitors rarely browse
 * from a datacenter, so traffic from these is a (weak) bot signal: VPNs and corporate
 * proxies live here too, which is why it only adds to the score and never decides alone.
 */
export const DATACENTER_ASNS: ReadonlyMap<number, string> = new Map([
  [16509, 'Amazon AWS'],
  [14618, 'Amazon AWS'],
  [8987, 'Amazon AWS'],
  [15169, 'Google Cloud'],
  [396982, 'Google Cloud'],
  [19527, 'Google Cloud'],
  [8075, 'Microsoft Azure'],
  [8068, 'Microsoft Azure'],
  [14061, 'DigitalOcean'],
  [16276, 'OVH'],
  [24940, 'Hetzner'],
  [213230, 'Hetzner'],
  [63949, 'Linode/Akamai'],
  [20473, 'Vultr'],
  [31898, 'Oracle Cloud'],
  [45102, 'Alibaba Cloud'],
  [37963, 'Alibaba Cloud'],
  [132203, 'Tencent Cloud'],
  [12876, 'Scaleway'],
  [51167, 'Contabo'],
  [9009, 'M247'],
  [60781, 'Leaseweb'],
  [36352, 'ColoCrossing'],
  [46606, 'Unified Layer'],
  [26496, 'GoDaddy'],
  [62567, 'DigitalOcean'],
  [202053, 'UpCloud'],
])

export function datacenterName(asn: number | undefined): string | undefined {
  return asn === undefined ? undefined : DATACENTER_ASNS.get(asn)
}
