// The demo page: uploads, the recorder, the camera, the slider and the seeds; every
// result comes back from the server as JSON with data: URLs (avgan/demo/app.py).
"use strict";

(() => {
  const info = JSON.parse(document.getElementById("demo-info").textContent);
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const limits = info.limits;
  const $ = (id) => document.getElementById(id);
  const RECORD_MS = 1000; // the page keeps its loudest half second (the slider moves it)
  const CHUNK_SECONDS = 0.5;
  const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1).replace(/\.0$/, "")} MB`;

  // --- talking to the server ---------------------------------------------------------

  // POSTs multipart fields with the session's form token; resolves to the JSON answer,
  // rejects with an Error whose message is the one to show.
  async function post(url, fields) {
    const form = new FormData();
    form.append("csrf_token", token);
    for (const [name, value] of Object.entries(fields)) {
      if (value instanceof File) form.append(name, value, value.name);
      else if (value !== null && value !== undefined) form.append(name, String(value));
    }
    let response;
    try {
      response = await fetch(url, { method: "POST", body: form, credentials: "same-origin" });
    } catch (e) {
      throw new Error("The server did not answer (is avgan-demo still running?).");
    }
    if ((response.headers.get("Content-Type") || "").includes("application/json")) {
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || `The server answered ${response.status}.`);
      return body;
    }
    if (response.status === 413) {
      throw new Error(`Upload refused: the page takes files up to ${megabytes(limits.max_upload_bytes)}.`);
    }
    throw new Error(`The server answered ${response.status} ${response.statusText}.`);
  }

  // A message for a file the server would refuse for its size, or null.
  function tooLarge(file) {
    if (file.size <= limits.max_upload_bytes) return null;
    return `${file.name} is ${megabytes(file.size)}: the page takes files up to ` +
      `${megabytes(limits.max_upload_bytes)}.`;
  }

  function readSeed(input) {
    const text = input.value.trim();
    const seed = Number(text);
    if (text === "" || !Number.isInteger(seed) || seed < 0 || seed > limits.max_seed) {
      throw new Error(`Seed: a whole number from 0 to ${limits.max_seed}.`);
    }
    return seed;
  }

  function randomSeed() {
    return Math.floor(Math.random() * 1000000);
  }

  // One request at a time per direction; a change made meanwhile runs once it is done.
  function serialised(run) {
    let busy = false;
    let again = false;
    return async function go() {
      if (busy) { again = true; return; }
      busy = true;
      try { await run(); } finally {
        busy = false;
        if (again) { again = false; go(); }
      }
    };
  }

  async function fetchExample(url, name) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`Example ${name} is missing (${response.status}).`);
    const blob = await response.blob();
    return new File([blob], name, { type: blob.type });
  }

  // --- sound -> picture --------------------------------------------------------------

  function setUpSoundToPicture() {
    const section = $("s2i");
    const message = $("s2i-message");
    const slider = $("s2i-start");
    const canvas = $("s2i-wave");
    const state = { file: null, start: null, overview: [], seconds: 0 };

    function drawWave() {
      const g = canvas.getContext("2d");
      const { width, height } = canvas;
      g.clearRect(0, 0, width, height);
      if (!state.overview.length) return;
      const columns = state.overview.length;
      const mid = height / 2;
      const top = Math.max(1e-3, ...state.overview); // drawn relative to the loudest column
      g.fillStyle = "#5b6474";
      state.overview.forEach((peak, i) => {
        const x = (i / columns) * width;
        const h = Math.max(1, (peak / top) * (height - 4));
        g.fillRect(x, mid - h / 2, Math.max(1, width / columns), h);
      });
      const start = Number(slider.value);
      const x0 = (start / state.seconds) * width;
      const x1 = (Math.min(state.seconds, start + CHUNK_SECONDS) / state.seconds) * width;
      g.fillStyle = "rgba(47, 111, 222, .25)";
      g.fillRect(x0, 0, Math.max(2, x1 - x0), height);
      g.strokeStyle = "#2f6fde";
      g.lineWidth = 2;
      g.strokeRect(x0, 1, Math.max(2, x1 - x0), height - 2);
      $("s2i-where").textContent =
        `${start.toFixed(2)}-${(start + CHUNK_SECONDS).toFixed(2)} s of ` +
        `${state.seconds.toFixed(2)} s (${state.file ? state.file.name : ""})`;
    }

    function render(answer) {
      state.overview = answer.overview;
      state.seconds = answer.seconds;
      state.start = answer.start;
      slider.max = String(answer.latest_start);
      slider.value = String(answer.start);
      slider.disabled = answer.latest_start <= 0;
      drawWave();
      $("s2i-logmel").src = answer.log_mel;
      const grid = $("s2i-pictures");
      grid.replaceChildren(...answer.pictures.map((picture) => {
        const figure = document.createElement("figure");
        const img = document.createElement("img");
        img.src = picture.src;
        img.alt = `picture for seed ${picture.seed}`;
        img.title = "start the seeds from this one";
        img.dataset.seed = String(picture.seed);
        img.width = 128;
        img.height = 128;
        const caption = document.createElement("figcaption");
        caption.textContent = `seed ${picture.seed}`;
        figure.append(img, caption);
        return figure;
      }));
      $("s2i-results").hidden = false;
    }

    const run = serialised(async () => {
      if (!state.file) return;
      message.textContent = "";
      section.classList.add("busy");
      try {
        const seed = readSeed($("s2i-seed"));
        render(await post("/api/s2i", { sound: state.file, start: state.start, seed }));
        section.dataset.done = String(Number(section.dataset.done || 0) + 1);
      } catch (e) {
        message.textContent = e.message;
        $("s2i-results").hidden = true;
      } finally {
        section.classList.remove("busy");
        // Every answer, shown or refused, counted: tests wait on it.
        section.dataset.answered = String(Number(section.dataset.answered || 0) + 1);
      }
    });

    function useSound(file) {
      const refused = tooLarge(file);
      if (refused) {
        message.textContent = refused;
        $("s2i-results").hidden = true;
        return;
      }
      state.file = file;
      state.start = null; // the server picks the loudest half second
      run();
    }

    $("s2i-file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      event.target.value = ""; // choosing the same file again fires change again
      if (file) useSound(file);
    });
    slider.addEventListener("input", drawWave);
    slider.addEventListener("change", () => { state.start = Number(slider.value); run(); });
    $("s2i-seed-form").addEventListener("submit", (event) => { event.preventDefault(); run(); });
    $("s2i-new").addEventListener("click", () => { $("s2i-seed").value = String(randomSeed()); run(); });
    $("s2i-pictures").addEventListener("click", (event) => {
      const seed = event.target.dataset && event.target.dataset.seed;
      if (seed === undefined) return;
      $("s2i-seed").value = seed;
      run();
    });
    $("s2i-record").addEventListener("click", async () => {
      const button = $("s2i-record");
      button.disabled = true;
      try {
        useSound(await recordWav(() => { button.textContent = "Recording..."; }));
      } catch (e) {
        message.textContent = e.message;
      } finally {
        button.disabled = false;
        button.textContent = "Record 1 s";
      }
    });
    return useSound;
  }

  // Records RECORD_MS from the microphone with MediaRecorder (WebM/Opus in Chromium),
  // decodes it in the browser and encodes it as a WAV, which the server reads.
  async function recordWav(onStart) {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      throw new Error("This browser cannot record here: recording needs MediaRecorder and a " +
        "secure page (http://127.0.0.1, http://localhost or https).");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      throw new Error(`No microphone: ${e.message}`);
    }
    try {
      const recorder = new MediaRecorder(stream);
      const parts = [];
      recorder.ondataavailable = (event) => { if (event.data.size) parts.push(event.data); };
      const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
      recorder.start();
      onStart();
      await new Promise((resolve) => setTimeout(resolve, RECORD_MS));
      recorder.stop();
      await stopped;
      const blob = new Blob(parts, { type: recorder.mimeType });
      const context = new AudioContext();
      try {
        const buffer = await context.decodeAudioData(await blob.arrayBuffer());
        return new File([encodeWav(buffer)], "recording.wav", { type: "audio/wav" });
      } finally {
        context.close();
      }
    } finally {
      stream.getTracks().forEach((track) => track.stop());
    }
  }

  // An AudioBuffer -> a mono 16-bit PCM WAV (the channels averaged), at its own rate.
  function encodeWav(buffer) {
    const n = buffer.length;
    const mono = new Float32Array(n);
    for (let c = 0; c < buffer.numberOfChannels; c++) {
      const channel = buffer.getChannelData(c);
      for (let i = 0; i < n; i++) mono[i] += channel[i] / buffer.numberOfChannels;
    }
    const view = new DataView(new ArrayBuffer(44 + 2 * n));
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
    text(0, "RIFF"); view.setUint32(4, 36 + 2 * n, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true);
    view.setUint16(22, 1, true); view.setUint32(24, buffer.sampleRate, true);
    view.setUint32(28, buffer.sampleRate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, 2 * n, true);
    for (let i = 0; i < n; i++) {
      const x = Math.max(-1, Math.min(1, mono[i]));
      view.setInt16(44 + 2 * i, Math.round(x * 32767), true);
    }
    return view.buffer;
  }

  // --- picture -> sound --------------------------------------------------------------

  function setUpPictureToSound() {
    const section = $("i2s");
    const message = $("i2s-message");
    const state = { file: null, stream: null };

    function render(answer) {
      $("i2s-seen").src = answer.seen;
      $("i2s-sounds").replaceChildren(...answer.sounds.map((sound) => {
        const figure = document.createElement("figure");
        figure.className = "sound";
        const img = document.createElement("img");
        img.src = sound.log_mel;
        img.alt = `generated log-mel spectrogram, seed ${sound.seed}`;
        const audio = document.createElement("audio");
        audio.controls = true;
        audio.preload = "auto";
        audio.src = sound.wav;
        audio.dataset.seed = String(sound.seed);
        const caption = document.createElement("figcaption");
        caption.textContent = `seed ${sound.seed} (peak ${sound.peak.toFixed(2)})`;
        figure.append(img, audio, caption);
        return figure;
      }));
      $("i2s-results").hidden = false;
    }

    const run = serialised(async () => {
      if (!state.file) return;
      message.textContent = "";
      section.classList.add("busy");
      try {
        const seed = readSeed($("i2s-seed"));
        render(await post("/api/i2s", { picture: state.file, seed }));
        section.dataset.done = String(Number(section.dataset.done || 0) + 1);
      } catch (e) {
        message.textContent = e.message;
        $("i2s-results").hidden = true;
      } finally {
        section.classList.remove("busy");
        // Every answer, shown or refused, counted: tests wait on it.
        section.dataset.answered = String(Number(section.dataset.answered || 0) + 1);
      }
    });

    function usePicture(file) {
      const refused = tooLarge(file);
      if (refused) {
        message.textContent = refused;
        $("i2s-results").hidden = true;
        return;
      }
      state.file = file;
      run();
    }

    function stopCamera() {
      if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
      state.stream = null;
      $("i2s-camera-view").hidden = true;
    }

    $("i2s-file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      event.target.value = "";
      if (file) usePicture(file);
    });
    $("i2s-seed-form").addEventListener("submit", (event) => { event.preventDefault(); run(); });
    $("i2s-new").addEventListener("click", () => { $("i2s-seed").value = String(randomSeed()); run(); });
    $("i2s-camera").addEventListener("click", async () => {
      message.textContent = "";
      if (!navigator.mediaDevices) {
        message.textContent = "This browser gives no camera here: the camera needs a secure " +
          "page (http://127.0.0.1, http://localhost or https).";
        return;
      }
      try {
        stopCamera();
        state.stream = await navigator.mediaDevices.getUserMedia({ video: true });
        const video = $("i2s-video");
        video.srcObject = state.stream;
        $("i2s-camera-view").hidden = false;
        await video.play();
      } catch (e) {
        stopCamera();
        message.textContent = `No camera: ${e.message}`;
      }
    });
    $("i2s-snap").addEventListener("click", () => {
      const video = $("i2s-video");
      const side = Math.min(video.videoWidth, video.videoHeight);
      if (!side) { message.textContent = "The camera has given no picture yet."; return; }
      // The middle square: the model's pictures are square.
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 256;
      canvas.getContext("2d").drawImage(
        video, (video.videoWidth - side) / 2, (video.videoHeight - side) / 2, side, side, 0, 0, 256, 256);
      stopCamera();
      canvas.toBlob((blob) => usePicture(new File([blob], "camera.png", { type: "image/png" })), "image/png");
    });
    return usePicture;
  }

  // --- the page ----------------------------------------------------------------------

  const use = {};
  if (info.models.s2i) use.sound = setUpSoundToPicture();
  if (info.models.i2s) use.picture = setUpPictureToSound();

  async function loadExample(button) {
    const kind = button.dataset.kind;
    const message = $(kind === "sound" ? "s2i-message" : "i2s-message");
    try {
      use[kind](await fetchExample(button.dataset.url, button.dataset.file));
    } catch (e) {
      message.textContent = e.message;
    }
  }

  document.querySelectorAll("button.example").forEach((button) => {
    button.addEventListener("click", () => loadExample(button));
  });
  // Something to see on first open: the first example of each direction offered.
  for (const kind of ["sound", "picture"]) {
    const first = document.querySelector(`button.example[data-kind="${kind}"]`);
    if (first && use[kind]) loadExample(first);
  }
})();
