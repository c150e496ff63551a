import { useParams } from "react-router";

/** The route's numeric id (`:id`), or null when the URL holds something else. */
export function useNumericParam(name = "id"): number | null {
  const value = useParams()[name];
  return value && /^\d+$/.test(value) ? Number(value) : null;
}
