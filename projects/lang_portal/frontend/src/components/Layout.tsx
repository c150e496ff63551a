import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { cn } from "../lib/cn";
import { useAuth } from "../services";
import { Badge } from "./ui/badge";
import { Button } from "./ui/button";

const NAV_ITEMS = [
  { to: "/dashboard", label: "Dashboard" },
  { to: "/study_activities", label: "Study Activities" },
  { to: "/words", label: "Words" },
  { to: "/groups", label: "Word Groups" },
  { to: "/study_sessions", label: "Sessions" },
  { to: "/settings", label: "Settings" },
];

function UserBox() {
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
function useFocusHeadingOnNavigation(pathname: string) {
  const firstPage = useRef(true);
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [pathname]);
}

export function Layout() {
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const { pathname } = useLocation();
  useEffect(() => setMenuOpen(false), [pathname]);
  useFocusHeadingOnNavigation(pathname);

  const closeMenuOnEscape = (event: KeyboardEvent) => {
    if (event.key === "Escape" && menuOpen) {
      setMenuOpen(false);
      menuButton.current?.focus();
    }
  };

  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only rounded bg-primary px-3 py-2 text-primary-foreground focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-card/95 backdrop-blur" onKeyDown={closeMenuOnEscape}>
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link to="/dashboard" className="flex items-center gap-2 rounded text-lg font-bold">
            <span
              lang="ja"
              aria-hidden="true"
              className="rounded bg-primary px-1.5 font-japanese text-primary-foreground"
            >
              語
            </span>
            Lang Portal
          </Link>
          <Button
            ref={menuButton}
            variant="ghost"
            size="sm"
            className="ml-auto md:hidden"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            {menuOpen ? "Close menu" : "Menu"}
          </Button>
          <nav
            id="main-nav"
            aria-label="Main"
            className={cn("w-full md:flex md:w-auto md:flex-1", menuOpen ? "block" : "hidden")}
          >
            <ul className="flex flex-col gap-1 md:flex-row md:items-center">
              {NAV_ITEMS.map((item) => (
                <li key={item.to}>
                  <NavLink
                    to={item.to}
                    className={({ isActive }) =>
                      cn(
                        "block rounded-md px-3 py-2 text-sm font-medium",
                        isActive
                          ? "bg-accent text-accent-foreground"
                          : "text-muted-foreground hover:bg-muted hover:text-foreground",
                      )
                    }
                  >
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className={cn("w-full md:ml-auto md:block md:w-auto", menuOpen ? "block" : "hidden")}>
            <UserBox />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-6 focus:outline-none">
        <Outlet />
      </main>
    </div>
  );
}
