import { Link, Outlet, useLocation } from "react-router";
import { UserBox, useFocusHeadingOnNavigation } from "@app-dw/spa-kit/components/UserBox";

export function Layout() {
  const { pathname } = useLocation();
  useFocusHeadingOnNavigation(pathname);
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only rounded bg-primary px-3 py-2 text-primary-foreground focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-card/95 backdrop-blur">
        <div className="mx-auto flex max-w-4xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link to="/" className="flex items-center gap-2 rounded text-lg font-bold">
            <span
              lang="ja"
              aria-hidden="true"
              className="rounded bg-primary px-1.5 font-japanese text-primary-foreground"
            >
              句
            </span>
            Haiku Generator
          </Link>
          <nav aria-label="Main" className="ml-auto flex items-center gap-3">
            <Link to="/" className="rounded-md px-3 py-2 text-sm font-medium text-muted-foreground hover:bg-muted">
              My haiku
            </Link>
            <UserBox />
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-4xl px-4 py-6 focus:outline-none">
        <Outlet />
      </main>
    </div>
  );
}
