import { useEffect, useRef } from "react";
import { useAuth } from "../services";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";

/** Who is signed in, with sign-out (or a badge in local mode). */
export function UserBox() {
  const { state, session } = useAuth();
  if (state.status !== "signed-in") return null;
  if (state.mode === "local") {
    return <Badge title="No sign-in configured: everything is recorded for one local user">Local mode</Badge>;
  }
  return (
    <div className="flex items-center gap-2 text-sm">
      <span className="max-w-40 truncate text-muted-foreground" title={state.user.name}>
        {state.user.name}
      </span>
      <Button variant="outline" size="sm" onClick={() => session.signOut()}>
        Sign out
      </Button>
    </div>
  );
}

/** After a move to another page (not the first one), focus goes to its heading: a screen reader reads where
 * the learner is, and the next Tab starts from the page's content rather than from the top. */
export function useFocusHeadingOnNavigation(pathname: string) {
  const firstPage = useRef(true);
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [pathname]);
}
