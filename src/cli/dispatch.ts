import { processArgs } from "./argv";
import { print } from "../sys/io";
export function run(): i32 {
  const a = processArgs();
  print("tsrun " + a.join(" ") + "\n");
  return 0;
}
