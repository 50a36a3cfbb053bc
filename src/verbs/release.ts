// What a container holds outside its state dir, released in runc's order: the bind that
// holds its mounts in a shared mount namespace, its systemd unit (stopping it removes the
// unit's cgroups), the cgroups tsrun made itself, its RDT group. delete and a failed create
// share it. Every step is tried, each idempotent (gone is done), and the first failure is
// returned: delete then keeps the state for a retry; a failed create has nothing to keep.
import { Failure } from "../errors/failure";
import { Globals } from "../cli/globals";
import { warn } from "../cli/report";
import { FEATURE_CGROUPS } from "../features";
import { ContainerState } from "../state/container";
import { detachHostMounts } from "../linux/hostmounts";
import { removeCgroups } from "../cgroups/manager";
import { removeRdt } from "../resctrl/manager";
import { stopUnit } from "../systemd/manager";

// force: a systemd that cannot be asked (gone, hung) is warned about (when g is given), not
// a failure.
export function releaseHeld(st: ContainerState, g: Globals | null, force: bool): Failure | null {
  let first: Failure | null = null;
  if (st.hostMountRoot.length > 0) first = detachHostMounts(st.hostMountRoot, st.hostMountBase);
  if (!FEATURE_CGROUPS) return first;
  if (st.systemdUnit.length > 0) {
    let f = stopUnit(st.systemdUnit);
    if (f != null && force) { if (g != null) warn(g!, f!.message()); f = null; }
    if (first == null) first = f;
  }
  const f = removeCgroups(st.cgroupDirs);
  if (first == null) first = f;
  if (st.rdtGroup.length > 0) {
    const r = removeRdt(st.rdtMon, st.rdtCreated ? st.rdtGroup : "");
    if (first == null) first = r;
  }
  return first;
}
