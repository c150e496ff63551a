import { Link, useLocation } from "react-router";
import { AppShell } from "@app-dw/spa-kit/components/AppShell";
import { UserBox, useFocusHeadingOnNavigation } from "@app-dw/spa-kit/components/UserBox";

export function Layout() {
  const { pathname } = useLocation();
  useFocusHeadingOnNavigation(pathname);
  return (
    <AppShell name="Haiku Generator" mark="句" width="narrow">
      <nav aria-label="Main" className="ml-auto flex items-center gap-3">
        <Link to="/" className="rounded-md px-3 py-2 text-sm font-medium text-muted-foreground hover:bg-muted">
          My haiku
        </Link>
        <UserBox />
      </nav>
    </AppShell>
  );
}
