// tsrun entry point: called by runtime-c/main.c; returns the process exit status.
import { run } from "./cli/dispatch";

export function main(): i32 {
  return run();
}
