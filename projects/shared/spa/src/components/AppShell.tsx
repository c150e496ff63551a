import type { KeyboardEvent, ReactNode } from "react";
import { Link, Outlet } from "react-router";

const WIDTHS = { narrow: "max-w-4xl", wide: "max-w-6xl" };

/** The frame of an app's pages: a "Skip to content" link, a sticky header starting with the app's mark and name
 * (a link home) followed by `children` (its navigation, the user box), and the page in `main`, where the skip
 * link and the focus after each navigation land. */
export function AppShell({
  name,
  mark,
  home = "/",
  width = "wide",
  onHeaderKeyDown,
  children,
}: {
  name: string;
  /** One Japanese character standing for the app. */
  mark: string;
  home?: string;
  width?: keyof typeof WIDTHS;
  onHeaderKeyDown?: (event: KeyboardEvent) => void;
  children: ReactNode;
}) {
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only rounded bg-primary px-3 py-2 text-primary-foreground focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-card/95 backdrop-blur" onKeyDown={onHeaderKeyDown}>
        <div className={`mx-auto flex ${WIDTHS[width]} flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3`}>
          <Link to={home} className="flex items-center gap-2 rounded text-lg font-bold">
            <span
              lang="ja"
              aria-hidden="true"
              className="rounded bg-primary px-1.5 font-japanese text-primary-foreground"
            >
              {mark}
            </span>
            {name}
          </Link>
          {children}
        </div>
      </header>
      <main id="main" tabIndex={-1} className={`mx-auto ${WIDTHS[width]} px-4 py-6 focus:outline-none`}>
        <Outlet />
      </main>
    </div>
  );
}
