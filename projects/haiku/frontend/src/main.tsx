import { startApp } from "@app-dw/spa-kit/app";
import { createHaikuApi } from "./api/haiku";
import { App } from "./App";
import "./index.css";

startApp({ title: "Haiku Generator", apiName: "the Haiku Generator API", createApi: createHaikuApi, app: <App /> });
