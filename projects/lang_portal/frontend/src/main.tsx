import { startApp } from "@app-dw/spa-kit/app";
import { createLangPortalApi } from "./api/langPortal";
import { App } from "./App";
import "./index.css";

startApp({ title: "Lang Portal", apiName: "the Lang Portal API", createApi: createLangPortalApi, app: <App /> });
