/**
 * On/off switches of the backend read from the environment at load time (`GAZE_WINOGRAD`,
 * `GAZE_FUSED_LOSSES`).
 *
 * @module
 */

/**
 * The switch `name`: `1`, empty or unset (or no permission to read the environment) is on, `0` is
 * off; anything else throws an error naming the variable. Internal to lib/backend (not exported
 * from mod.ts).
 */
export function envSwitch(name: string): boolean {
  let v: string | undefined;
  try {
    v = Deno.env.get(name);
  } catch {
    return true; // no env permission: the default
  }
  if (v === undefined || v === "" || v === "1") return true;
  if (v === "0") return false;
  throw new Error(`${name} must be 0 or 1, got '${v}'`);
}
