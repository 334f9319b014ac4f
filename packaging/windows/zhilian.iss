; Inno Setup 6 script for the Windows installer of Zhilian.
; Built by .github/workflows/build.yml on a Windows runner, after PyInstaller made dist\zhilian\
; (zhilian.exe = desktop app, zhilian-cli.exe = command line) and packaging/make_icons.py made
; build\icons\zhilian.ico (16, 24, 32, 48 and 256 px):
;   & (packaging\windows\find_iscc.ps1) /DAppVersion=0.1.0 packaging\windows\zhilian.iss
;     ->  dist\zhilian-0.1.0-windows-x64-setup.exe
; Silent install for the current user, with the CLI on PATH (what CI does):
;   zhilian-0.1.0-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER /TASKS=addtopath
; Same contents as the Linux packages: the one-dir bundle, a Start menu entry with the app icon,
; the CLI on the PATH (optional task), an uninstaller.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\zhilian.iss
#endif
#define AppName "Zhilian"
#define AppExe "zhilian.exe"
#define Root "..\.."

[Setup]
AppId={{6C1E3B0A-6F1D-4C47-9D0E-5A8B7E2C1F34}
AppName={#AppName}
AppVerName={#AppName} {#AppVersion}
AppVersion={#AppVersion}
VersionInfoVersion={#AppVersion}
AppPublisher=Zhilian developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install without admin rights by default; the dialog offers all users, and the
; command line takes /CURRENTUSER or /ALLUSERS (allowing "dialog" allows "commandline" too).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename=zhilian-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\icons\zhilian.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the zhilian-cli command to PATH"; Flags: unchecked

[Files]
Source: "{#Root}\dist\zhilian\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
// The CLI's PATH entry: added after the files are installed when the task is chosen, and on
// uninstall exactly that entry is taken out again, only if this installer added it (a marker
// file in {app} says so), and only once (the last equal entry). Every other entry keeps its
// text, order and any empty entries; the value stays REG_EXPAND_SZ. Entries are equal when
// they match without regard to case, surrounding spaces or a trailing backslash.
// The functions between PATH-LOGIC-BEGIN/END use only Pos, Copy, Length, Trim, CompareText
// and RemoveBackslashUnlessRoot, so tests/packaging compiles this very text with Free Pascal.

const
  PathMarker = 'zhilian-path-entry.txt';

function EnvKey: String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

// PATH-LOGIC-BEGIN
function SamePathEntry(A, B: String): Boolean;
begin
  Result := CompareText(RemoveBackslashUnlessRoot(Trim(A)), RemoveBackslashUnlessRoot(Trim(B))) = 0;
end;

// The number of the last entry of Paths (1 = first) equal to Dir; 0 if there is none.
function LastPathEntry(Paths, Dir: String): Integer;
var
  Rest, Entry: String;
  P, N: Integer;
begin
  Result := 0;
  N := 0;
  Rest := Paths;
  repeat
    P := Pos(';', Rest);
    if P = 0 then
    begin
      Entry := Rest;
      Rest := '';
    end
    else
    begin
      Entry := Copy(Rest, 1, P - 1);
      Rest := Copy(Rest, P + 1, Length(Rest));
    end;
    N := N + 1;
    if SamePathEntry(Entry, Dir) then
      Result := N;
  until P = 0;
end;

// Paths with Dir appended as a new last entry.
function PathWithEntry(Paths, Dir: String): String;
begin
  if Paths = '' then
    Result := Dir
  else if Copy(Paths, Length(Paths), 1) = ';' then
    Result := Paths + Dir
  else
    Result := Paths + ';' + Dir;
end;

// Paths without its last entry equal to Dir (unchanged when there is none).
function PathWithoutEntry(Paths, Dir: String): String;
var
  Rest, Entry: String;
  P, N, Drop: Integer;
  First: Boolean;
begin
  Drop := LastPathEntry(Paths, Dir);
  if Drop = 0 then
  begin
    Result := Paths;
    exit;
  end;
  Result := '';
  First := True;
  N := 0;
  Rest := Paths;
  repeat
    P := Pos(';', Rest);
    if P = 0 then
    begin
      Entry := Rest;
      Rest := '';
    end
    else
    begin
      Entry := Copy(Rest, 1, P - 1);
      Rest := Copy(Rest, P + 1, Length(Rest));
    end;
    N := N + 1;
    if N <> Drop then
    begin
      if not First then
        Result := Result + ';';
      Result := Result + Entry;
      First := False;
    end;
  until P = 0;
end;
// PATH-LOGIC-END

procedure CurStepChanged(CurStep: TSetupStep);
var
  Paths, Dir: String;
begin
  if (CurStep <> ssPostInstall) or not WizardIsTaskSelected('addtopath') then
    exit;
  Dir := ExpandConstant('{app}');
  if not RegQueryStringValue(HKA, EnvKey, 'Path', Paths) then
    Paths := '';
  if LastPathEntry(Paths, Dir) = 0 then
  begin
    if RegWriteExpandStringValue(HKA, EnvKey, 'Path', PathWithEntry(Paths, Dir)) then
      SaveStringToFile(ExpandConstant('{app}\' + PathMarker), Dir, False);
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Paths, Dir, Marker: String;
begin
  // usUninstall comes before the files (and so the marker) are deleted
  if CurUninstallStep <> usUninstall then
    exit;
  Marker := ExpandConstant('{app}\' + PathMarker);
  if not FileExists(Marker) then
    exit;
  Dir := ExpandConstant('{app}');
  if RegQueryStringValue(HKA, EnvKey, 'Path', Paths) and (LastPathEntry(Paths, Dir) > 0) then
    RegWriteExpandStringValue(HKA, EnvKey, 'Path', PathWithoutEntry(Paths, Dir));
  DeleteFile(Marker);
end;
