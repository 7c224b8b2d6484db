// The call half of the product's frontend (hook `useWebRTC`), rebuilt for the end-to-end test:
// socket.io-client 4.x over a WebSocket-only transport to the server root, and the browser's
// own RTCPeerConnection. Events follow ../shared/spec/signaling.md §4.3 exactly:
//   emit join-room(roomId), offer(offer, roomId), answer(answer, roomId),
//        ice-candidate(candidate, roomId), user-disconnected(roomId)
//   receive offer(offer), answer(answer), ice-candidate(candidate): one argument each;
//           user-disconnected: no argument.
// Test-only differences, each forced by the sandbox rather than by the product:
//   - no STUN/TURN servers (iceServers: []), the machine has no network but loopback;
//   - only loopback candidates are sent to the peer, so connectivity checks never leave 127.0.0.1.
"use strict";

(function () {
  const params = new URLSearchParams(window.location.search);
  // The server root, as the frontend derives it from NEXT_PUBLIC_API_URL minus "/api/v1".
  const API = (params.get("api") || "").replace(/\/+$/, "");
  // /room/<token> (resident) or /room/admin/<token> (landlord): the token is the last segment.
  const ROOM = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop() || "");

  const state = {
    api: API,
    room: ROOM,
    log: [],
    errors: [],
    joinedRoom: null,
    connectionState: "new",
    iceState: "new",
    gatheringState: "new",
    localStreamId: null,
    remoteStreamId: null,
    framesRendered: 0,
    peerLeft: false,
    peerLeftArgs: null,
    candidatesSent: 0,
    candidatesDropped: 0,
    candidatesReceived: 0,
  };

  function log(message) {
    const line = `${new Date().toISOString()} ${message}`;
    state.log.push(line);
    console.log(line);
    const status = document.getElementById("status");
    if (status) status.textContent = message;
  }

  function fail(message) {
    state.errors.push(message);
    log(`ERROR ${message}`);
  }

  // Each feature of the frontend opens its own connection with these options.
  function connectSocket(name) {
    const socket = window.io(API, {
      transports: ["websocket"],
      reconnectionAttempts: 5,
      timeout: 20000,
    });
    socket.on("connect", () => log(`${name} socket connected`));
    socket.on("connect_error", (err) => fail(`${name} socket connect_error: ${err.message}`));
    socket.on("disconnect", (reason) => log(`${name} socket disconnected: ${reason}`));
    return socket;
  }

  async function openCamera(videoElement) {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    state.localStreamId = stream.id;
    videoElement.srcObject = stream;
    log(`camera open (stream ${stream.id})`);
    return stream;
  }

  function isLoopback(candidate) {
    return candidate.address === "127.0.0.1" || / 127\.0\.0\.1 /.test(candidate.candidate);
  }

  // Counts frames actually presented by a <video>, so the test can tell "playing" from "attached".
  function countFrames(videoElement) {
    const onFrame = () => {
      state.framesRendered += 1;
      videoElement.requestVideoFrameCallback(onFrame);
    };
    videoElement.requestVideoFrameCallback(onFrame);
  }

  function startCall({ isAdmin, localStream, remoteVideo }) {
    const socket = connectSocket("call");
    const pc = new RTCPeerConnection({ iceServers: [] });
    const pendingCandidates = [];
    let offered = false;

    for (const track of localStream.getTracks()) pc.addTrack(track, localStream);

    pc.onicecandidate = (event) => {
      if (!event.candidate) return;
      if (!isLoopback(event.candidate)) {
        state.candidatesDropped += 1;
        return;
      }
      state.candidatesSent += 1;
      socket.emit("ice-candidate", event.candidate.toJSON(), ROOM);
    };
    pc.ontrack = (event) => {
      const [stream] = event.streams;
      if (stream && remoteVideo.srcObject !== stream) {
        remoteVideo.srcObject = stream;
        state.remoteStreamId = stream.id;
        log(`remote stream ${stream.id}`);
      }
    };
    pc.onconnectionstatechange = () => {
      state.connectionState = pc.connectionState;
      document.getElementById("peer").textContent = `peer connection: ${pc.connectionState}`;
      log(`peer connection ${pc.connectionState}`);
    };
    pc.oniceconnectionstatechange = () => {
      state.iceState = pc.iceConnectionState;
    };
    pc.onicegatheringstatechange = () => {
      state.gatheringState = pc.iceGatheringState;
    };

    async function flushCandidates() {
      while (pendingCandidates.length) await pc.addIceCandidate(pendingCandidates.shift());
    }

    socket.on("connect", async () => {
      // Re-joined on every (re)connect, as the hook does; the offer is made once.
      socket.emit("join-room", ROOM);
      if (isAdmin && !offered) {
        offered = true;
        try {
          await pc.setLocalDescription(await pc.createOffer());
          socket.emit("offer", pc.localDescription.toJSON(), ROOM);
          log("offer sent");
        } catch (err) {
          fail(`offer: ${err}`);
        }
      }
    });
    socket.on("joined-room", (roomId) => {
      state.joinedRoom = roomId;
      log(`joined room ${roomId}`);
    });
    socket.on("room-join-error", (err) => fail(`room-join-error ${JSON.stringify(err)}`));
    socket.on("offer", async (offer) => {
      try {
        await pc.setRemoteDescription(offer);
        await flushCandidates();
        await pc.setLocalDescription(await pc.createAnswer());
        socket.emit("answer", pc.localDescription.toJSON(), ROOM);
        log("answer sent");
      } catch (err) {
        fail(`answer: ${err}`);
      }
    });
    socket.on("answer", async (answer) => {
      try {
        await pc.setRemoteDescription(answer);
        await flushCandidates();
        log("answer applied");
      } catch (err) {
        fail(`apply answer: ${err}`);
      }
    });
    socket.on("ice-candidate", async (candidate) => {
      state.candidatesReceived += 1;
      try {
        if (pc.remoteDescription) await pc.addIceCandidate(candidate);
        else pendingCandidates.push(candidate);
      } catch (err) {
        fail(`addIceCandidate: ${err}`);
      }
    });
    socket.on("user-disconnected", (...args) => {
      state.peerLeft = true;
      state.peerLeftArgs = args.length;
      log("peer hung up");
    });

    return {
      socket,
      pc,
      hangUp() {
        socket.emit("user-disconnected", ROOM);
        log("hung up");
      },
    };
  }

  // A few pixels of a <video>, to prove it shows a picture rather than a black or empty frame.
  function samplePixels(videoElement) {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(videoElement, 0, 0, canvas.width, canvas.height);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    const colours = new Set();
    let brightness = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add(`${data[i] >> 4},${data[i + 1] >> 4},${data[i + 2] >> 4}`);
      brightness += (data[i] + data[i + 1] + data[i + 2]) / 3;
    }
    return {
      width: videoElement.videoWidth,
      height: videoElement.videoHeight,
      distinctColours: colours.size,
      meanBrightness: brightness / (data.length / 4),
    };
  }

  window.callkit = { API, ROOM, state, log, fail, connectSocket, openCamera, countFrames, startCall, samplePixels };
})();
