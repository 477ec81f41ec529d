// The lab's public API, for e2e tests, benchmarks and the `npm run lab` CLI.
export { BRIDGE, BRIDGE_ADDRESS, LAB_NET, LAB_PREFIX, SCRATCH_BASE, assertLabAddress, hostIndex, inLabNet, labHost, labPaths } from "./config.js";
export type { LabHostName, LabPaths } from "./config.js";
export { APT_SUITES, HOST_REPO_DIR, LAB_USER, ROOTFS_PACKAGES, ensureRootfs, rootfsDir, rootfsId } from "./rootfs.js";
export { REPO_PACKAGES, buildAptRepo } from "./aptrepo.js";
export type { DebPackage } from "./aptrepo.js";
export { cutLink, down, labUnavailableReason, liveLeases, readLabState, resetHost, restoreLink, status, up, withLabLock } from "./lab.js";
export type { HostStatus, LabState, UpOptions } from "./lab.js";
export { hostExec, initPid, runningHostIndexes, startSshd, stopSshd, waitForPort } from "./host.js";
export type { LabHost } from "./host.js";
export { measure, startScratchHost, startScratchHosts, stopScratchHost, stopScratchHosts } from "./scratch.js";
export type { Measurement, ScratchHost } from "./scratch.js";
export {
  addHostUser,
  appendHostFile,
  flushFirewall,
  hostService,
  listFirewall,
  readHostFile,
  removeHostFile,
  removeHostUser,
  writeHostFile,
} from "./tamper.js";
export { proxyKnownHostsLine, startDelayProxy } from "./proxy.js";
export type { DelayProxy, DelayProxyOptions } from "./proxy.js";
export { LabError } from "./util.js";
export type { RunResult } from "./util.js";
export { BACK_BRIDGE, BACK_NET, setupBackNet, teardownBackNet } from "./backnet.js";
export type { BackNet } from "./backnet.js";
