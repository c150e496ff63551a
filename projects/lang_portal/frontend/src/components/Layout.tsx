import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { NavLink, useLocation } from "react-router";
import { AppShell } from "@app-dw/spa-kit/components/AppShell";
import { UserBox, useFocusHeadingOnNavigation } from "@app-dw/spa-kit/components/UserBox";
import { cn } from "@app-dw/spa-kit/lib/cn";
import { Button } from "@app-dw/spa-kit/ui/button";

const NAV_ITEMS = [
  { to: "/dashboard", label: "Dashboard" },
  { to: "/study_activities", label: "Study Activities" },
  { to: "/words", label: "Words" },
  { to: "/groups", label: "Word Groups" },
  { to: "/study_sessions", label: "Sessions" },
  { to: "/settings", label: "Settings" },
];

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
    <AppShell name="Lang Portal" mark="語" home="/dashboard" onHeaderKeyDown={closeMenuOnEscape}>
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
    </AppShell>
  );
}
