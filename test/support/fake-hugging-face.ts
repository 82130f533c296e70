/**
 * A loopback stand-in for Hugging Face that serves one GGUF file of one repo the way
 * node-llama-cpp's resolver asks for it: the quantisation's manifest (`/v2/<repo>/manifests/<quant>`,
 * naming the file) and the file itself (`/<repo>/resolve/main/<file>`). Point the resolver at it with
 * `huggingFaceEndpoint` (in process) or `$HF_ENDPOINT` (a child process).
 */
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type StaticServer, startStaticServer } from "./static-server.js";

export interface FakeHuggingFace extends StaticServer {
  /** The file name the manifest names. */
  file: string;
}

export async function startFakeHuggingFace(options: {
  /** The GGUF to serve (e.g. tinyGguf()). */
  model: string;
  repo: string;
  quant: string;
  /** The name it is served under (default: `<repo name without -GGUF>-<quant>.gguf`). */
  file?: string;
}): Promise<FakeHuggingFace> {
  const root = await mkdtemp(path.join(os.tmpdir(), "sra-hf-"));
  const file = options.file ?? `${path.basename(options.repo).replace(/-GGUF$/, "")}-${options.quant}.gguf`;
  const served = path.join(root, options.repo, "resolve", "main");
  await mkdir(served, { recursive: true });
  await copyFile(options.model, path.join(served, file));
  const manifest = Buffer.from(JSON.stringify({ ggufFile: { rfilename: file } }));
  const server = await startStaticServer({
    root,
    overrides: { [`/v2/${options.repo}/manifests/${options.quant}`]: manifest },
  });
  return {
    ...server,
    file,
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
