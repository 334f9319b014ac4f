<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccountsDialog</name>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="112"/>
        <source>Accounts</source>
        <translation>账号</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="113"/>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="113"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="113"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="114"/>
        <location filename="../../gui/accounts_dialog.py" line="273"/>
        <source>Remove login</source>
        <translation>删除登录</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="115"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="116"/>
        <source>Import a login</source>
        <translation>导入登录</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="117"/>
        <source>Host:</source>
        <translation>主机：</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="118"/>
        <source>Cookies:</source>
        <translation>Cookie：</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="120"/>
        <source>Paste a Cookie header (BDUSS=…; STOKEN=…), a cookies.txt export, or a request copied from the browser&apos;s developer tools as cURL. Cookies are kept in the system keyring.</source>
        <translation>粘贴 Cookie 请求头（BDUSS=…; STOKEN=…）、导出的 cookies.txt，或从浏览器开发者工具复制的 cURL 请求。Cookie 保存在系统密钥环中。</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="122"/>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="123"/>
        <source>Save as token</source>
        <translation>保存为令牌</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="125"/>
        <source>Store the pasted text as the host&apos;s token instead of cookies: an Aliyun Drive refresh token, a Kaggle username:key, a Hugging Face or 123pan token.</source>
        <translation>把粘贴的内容保存为该站点的令牌（而不是 Cookie），例如阿里云盘的刷新令牌、模型站的“用户名:密钥”或访问令牌、123云盘的令牌。</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="127"/>
        <source>Keep logins for this session only</source>
        <translation>仅在本次运行期间保留登录</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="156"/>
        <source>No usable system keyring (Secret Service, Windows Credential Manager or macOS Keychain): logins cannot be stored. You can keep them for this session only.</source>
        <translation>没有可用的系统密钥环（Secret Service、Windows 凭据管理器或 macOS 钥匙串）：无法保存登录。可以仅在本次运行期间保留。</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="178"/>
        <source>Valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="178"/>
        <source>Expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="178"/>
        <source>Incomplete</source>
        <translation>不完整</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="180"/>
        <source>this session only</source>
        <translation>仅本次运行</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="185"/>
        <source>expires %1</source>
        <translation>%1 过期</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="198"/>
        <source>No login stored</source>
        <translation>未保存登录信息</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="200"/>
        <source>Login incomplete: missing %1</source>
        <translation>登录信息不完整：缺少 %1</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="202"/>
        <source>Login expired (%1): import fresh cookies</source>
        <translation>登录已过期（%1）：请导入新的 Cookie</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="204"/>
        <source>No cookies stored</source>
        <translation>未保存 Cookie</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="206"/>
        <source>Login looks valid</source>
        <translation>登录信息看起来有效</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="208"/>
        <source>Cookies stored</source>
        <translation>已保存 Cookie</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="210"/>
        <source>Token stored</source>
        <translation>已保存令牌</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="240"/>
        <source>Choose the host and paste its cookies first.</source>
        <translation>请先选择主机并粘贴它的 Cookie。</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="245"/>
        <source>Imported for %1: %2</source>
        <translation>已为 %1 导入：%2</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="259"/>
        <source>Choose the host and paste its token first.</source>
        <translation>请先选择站点并粘贴其令牌。</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="264"/>
        <source>Token saved for %1.</source>
        <translation>已为 %1 保存令牌。</translation>
    </message>
    <message>
        <location filename="../../gui/accounts_dialog.py" line="274"/>
        <source>Remove the stored login for %1?</source>
        <translation>删除 %1 已保存的登录吗？</translation>
    </message>
</context>
<context>
    <name>AddDialog</name>
    <message>
        <location filename="../../gui/add_dialog.py" line="183"/>
        <source>Add downloads</source>
        <translation>添加下载</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="184"/>
        <source>Paste links or share texts (one or many). Extraction codes written next to a link (提取码) are picked up. Manifests (.yaml) and .meta4 files can be dropped here too.</source>
        <translation>粘贴链接或分享文本（一个或多个）。链接旁的提取码会被自动识别。也可以把清单文件（.yaml）和 .meta4 文件拖到这里。</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="187"/>
        <source>https://example.com/model.safetensors
链接: https://pan.baidu.com/s/1AbCd 提取码: x7k2</source>
        <translation>https://example.com/model.safetensors
链接: https://pan.baidu.com/s/1AbCd 提取码: x7k2</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="189"/>
        <source>Link</source>
        <translation>链接</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="189"/>
        <source>Extraction code</source>
        <translation>提取码</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="190"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="190"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="191"/>
        <source>List files</source>
        <translation>列出文件</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="192"/>
        <source>Look up the files behind the links (folder shares, repos) and tick the ones to add</source>
        <translation>查询链接（文件夹分享、模型仓库）里的文件，勾选要添加的</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="194"/>
        <source>Save to:</source>
        <translation>保存到：</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="195"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="196"/>
        <source>Connections:</source>
        <translation>连接数：</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="197"/>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="198"/>
        <source>Extraction code:</source>
        <translation>提取码：</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="199"/>
        <source>for links that have none</source>
        <translation>用于没有提取码的链接</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="200"/>
        <source>SHA-256:</source>
        <translation>SHA-256：</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="201"/>
        <source>optional, checked when the download ends (single link)</source>
        <translation>可选，下载结束时校验（仅单个链接）</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="202"/>
        <source>Hand off to HeyGem when done</source>
        <translation>完成后交给 HeyGem</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="204"/>
        <source>No HeyGem install found yet: add one in Settings; the file is kept in the download folder until then.</source>
        <translation>尚未找到 HeyGem 安装：请在设置中添加；在此之前文件保留在下载文件夹中。</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="206"/>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="225"/>
        <source>error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="231"/>
        <source>manifest</source>
        <translation>清单</translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/add_dialog.py" line="237"/>
        <source>Found %n link(s):</source>
        <translation>
            <numerusform>找到 %n 个链接：</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="238"/>
        <source>No links found yet.</source>
        <translation>尚未找到链接。</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="245"/>
        <source>A SHA-256 checksum is 64 hexadecimal characters.</source>
        <translation>SHA-256 校验值应为 64 个十六进制字符。</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="247"/>
        <source>A checksum can only be given when adding a single link.</source>
        <translation>只有添加单个链接时才能填写校验值。</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="249"/>
        <source>Tick at least one file.</source>
        <translation>请至少勾选一个文件。</translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="266"/>
        <source>Looking up the files…</source>
        <translation>正在查询文件…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/add_dialog.py" line="321"/>
        <source>%n file(s), %1 in all</source>
        <translation>
            <numerusform>%n 个文件，共 %1</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../gui/add_dialog.py" line="354"/>
        <source>Save downloads to</source>
        <translation>下载保存到</translation>
    </message>
</context>
<context>
    <name>AddFlow</name>
    <message>
        <location filename="../../gui/add_flow.py" line="66"/>
        <source>%1: “%2” has no download URL</source>
        <translation>%1：“%2”没有下载地址</translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/add_flow.py" line="72"/>
        <source>Added %n download(s)</source>
        <translation>
            <numerusform>已添加 %n 个下载</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ClipboardOffer</name>
    <message>
        <location filename="../../gui/clipboard_offer.py" line="45"/>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <location filename="../../gui/clipboard_offer.py" line="46"/>
        <source>Dismiss</source>
        <translation>忽略</translation>
    </message>
    <message>
        <location filename="../../gui/clipboard_offer.py" line="67"/>
        <source>Copied link: %1</source>
        <translation>复制的链接：%1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/clipboard_offer.py" line="69"/>
        <source>(+%n more)</source>
        <translation>
            <numerusform>（另有 %n 个）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DetailsPane</name>
    <message>
        <location filename="../../gui/details.py" line="88"/>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="89"/>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="90"/>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="91"/>
        <source>Saved to:</source>
        <translation>保存位置：</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="92"/>
        <source>Checksum:</source>
        <translation>校验：</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="93"/>
        <source>Connections:</source>
        <translation>连接数：</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="94"/>
        <source>When done:</source>
        <translation>完成后：</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="111"/>
        <source>No download selected</source>
        <translation>未选择下载</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="112"/>
        <source>Select a download to see its file map, sources and log.</source>
        <translation>选择一个下载以查看文件分布图、来源和日志。</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="127"/>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="131"/>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="145"/>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="146"/>
        <source>Missing</source>
        <translation>未下载</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="149"/>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="155"/>
        <source>%1 active, up to %2</source>
        <translation>活动 %1 个，最多 %2 个</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="156"/>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="157"/>
        <source>Hand off to HeyGem</source>
        <translation>交给 HeyGem</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="157"/>
        <source>Keep the file</source>
        <translation>保留文件</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="171"/>
        <source>No checksum given; size checked</source>
        <translation>未提供校验值；已核对大小</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="172"/>
        <source>No checksum given</source>
        <translation>未提供校验值</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="175"/>
        <source>SHA-256 verified (%1)</source>
        <translation>SHA-256 已校验（%1）</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="177"/>
        <source>Verifying SHA-256 (%1)…</source>
        <translation>正在校验 SHA-256（%1）…</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="179"/>
        <source>SHA-256 mismatch (expected %1)</source>
        <translation>SHA-256 不匹配（应为 %1）</translation>
    </message>
    <message>
        <location filename="../../gui/details.py" line="180"/>
        <source>SHA-256 to verify: %1</source>
        <translation>待校验 SHA-256：%1</translation>
    </message>
</context>
<context>
    <name>Dropping</name>
    <message>
        <location filename="../../gui/dropping.py" line="112"/>
        <source>no such file</source>
        <translation>文件不存在</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="114"/>
        <source>permission denied</source>
        <translation>没有读取权限</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="116"/>
        <source>a folder, not a link list</source>
        <translation>这是文件夹，不是链接列表</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="118"/>
        <source>not a regular file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="120"/>
        <source>too big for a link list (%1; at most %2)</source>
        <translation>文件太大，不是链接列表（%1，最多 %2）</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="123"/>
        <source>not a text file</source>
        <translation>不是文本文件</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="125"/>
        <source>cannot be read (%1)</source>
        <translation>无法读取（%1）</translation>
    </message>
    <message>
        <location filename="../../gui/dropping.py" line="126"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
</context>
<context>
    <name>FileMap</name>
    <message>
        <location filename="../../gui/widgets.py" line="126"/>
        <source>Size not known yet</source>
        <translation>大小未知</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message>
        <location filename="../../gui/fmt.py" line="12"/>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="12"/>
        <source>KiB</source>
        <translation>KiB</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="13"/>
        <source>MiB</source>
        <translation>MiB</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="13"/>
        <source>GiB</source>
        <translation>GiB</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="14"/>
        <source>TiB</source>
        <translation>TiB</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="25"/>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="38"/>
        <source>%1d %2h</source>
        <translation>%1天%2小时</translation>
    </message>
</context>
<context>
    <name>HeyGem</name>
    <message>
        <location filename="../../gui/heygem_actions.py" line="26"/>
        <source>Send to HeyGem</source>
        <translation>发送到 HeyGem</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="32"/>
        <source>Checking %1…</source>
        <translation>正在校验 %1…</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="34"/>
        <source>Copying %1…</source>
        <translation>正在复制 %1…</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="36"/>
        <source>Re-checking the copy of %1…</source>
        <translation>正在复核 %1 的副本…</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="45"/>
        <source>%1: already in place (identical), nothing to do</source>
        <translation>%1：已在原位（完全相同），无需操作</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="47"/>
        <source>moved (same disk)</source>
        <translation>已移动（同一磁盘）</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="48"/>
        <source>copied and re-verified</source>
        <translation>已复制并重新校验</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="49"/>
        <source>%1: placed in %2 (%3, %4)</source>
        <translation>%1：已放入 %2（%3，%4）</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="52"/>
        <source>SHA-256 %1 matches the value the download was given</source>
        <translation>SHA-256 %1 与下载时给出的值一致</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="54"/>
        <source>SHA-256 %1 matches the catalogue&apos;s value</source>
        <translation>SHA-256 %1 与模型目录中的值一致</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="56"/>
        <source>SHA-256 %1 matches the value pinned on this computer</source>
        <translation>SHA-256 %1 与本机记录的值一致</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="58"/>
        <source>SHA-256 %1 checked (no known value to compare)</source>
        <translation>SHA-256 %1 已计算（没有可对比的已知值）</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="60"/>
        <source>Size and SHA-256 pinned on this computer for next time</source>
        <translation>大小和 SHA-256 已记录在本机，供下次核对</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="62"/>
        <source>The previous file is kept as %1</source>
        <translation>原来的文件已保留为 %1</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="67"/>
        <source>The catalogue places %1 at %2</source>
        <translation>模型目录把 %1 放在 %2</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="70"/>
        <source>The start script loads %1; to use this file instead, hand it off as %1</source>
        <translation>启动脚本加载的是 %1；要改用此文件，请把它作为 %1 放入</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="73"/>
        <source>Your file %1 was left where it is</source>
        <translation>你的文件 %1 保留在原处</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="75"/>
        <source>%1 is running on port %2: restart it to load the new model</source>
        <translation>%1 正在端口 %2 上运行：请重启它以加载新模型</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="116"/>
        <source>No HeyGem or Wav2Lip install was found. Add its folder in Settings.</source>
        <translation>没有找到 HeyGem 或 Wav2Lip 的安装。请在设置中添加其所在文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="122"/>
        <source>Install:</source>
        <translation>安装位置：</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="147"/>
        <source>This download has no finished file yet.</source>
        <translation>此下载还没有完成的文件。</translation>
    </message>
    <message>
        <location filename="../../gui/heygem_actions.py" line="175"/>
        <source>Sending %1 to %2…</source>
        <translation>正在将 %1 发送到 %2…</translation>
    </message>
</context>
<context>
    <name>LogPanel</name>
    <message>
        <location filename="../../gui/log_panel.py" line="188"/>
        <source>Application log</source>
        <translation>应用日志</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="190"/>
        <source>Log file:</source>
        <translation>日志文件：</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="192"/>
        <source>none: the log folder cannot be written</source>
        <translation>无：日志文件夹无法写入</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="194"/>
        <location filename="../../gui/log_panel.py" line="202"/>
        <source>Open log folder</source>
        <translation>打开日志文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="195"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="196"/>
        <source>Copy the lines shown to the clipboard</source>
        <translation>将显示的内容复制到剪贴板</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="197"/>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="198"/>
        <source>Clear the lines shown (the log file keeps them)</source>
        <translation>清空显示的内容（日志文件中仍保留）</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="199"/>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <location filename="../../gui/log_panel.py" line="200"/>
        <source>Show or hide the application log (F6)</source>
        <translation>显示或隐藏应用日志（F6）</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../gui/main_window.py" line="116"/>
        <location filename="../../gui/main_window.py" line="228"/>
        <source>Zhilian</source>
        <extracomment>a notification was raised: (kind, title, message)</extracomment>
        <translation>直链</translation>
    </message>
    <message>
        <location filename="../../gui/main_window.py" line="146"/>
        <source>The download service could not start: %1</source>
        <translation>下载服务无法启动：%1</translation>
    </message>
    <message>
        <location filename="../../gui/main_window.py" line="291"/>
        <source>Could not save the settings: %1</source>
        <translation>无法保存设置：%1</translation>
    </message>
    <message>
        <location filename="../../gui/main_window.py" line="336"/>
        <source>Zhilian is still running</source>
        <translation>直链仍在运行</translation>
    </message>
    <message>
        <location filename="../../gui/main_window.py" line="337"/>
        <source>Downloads continue in the background; use the tray icon to quit.</source>
        <translation>下载在后台继续；可通过托盘图标退出。</translation>
    </message>
</context>
<context>
    <name>Notices</name>
    <message>
        <location filename="../../gui/notices.py" line="30"/>
        <location filename="../../gui/notices.py" line="35"/>
        <source>Handed off to HeyGem</source>
        <translation>已交给 HeyGem</translation>
    </message>
    <message>
        <location filename="../../gui/notices.py" line="33"/>
        <source>Download finished</source>
        <translation>下载完成</translation>
    </message>
</context>
<context>
    <name>Outcome</name>
    <message>
        <location filename="../../gui/outcome.py" line="38"/>
        <source>Import login…</source>
        <extracomment>the button a row offers for a kind the user can mend (action name, kind)</extracomment>
        <translation>导入登录…</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="38"/>
        <source>Replace link…</source>
        <translation>更换链接…</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="45"/>
        <source>Needs login</source>
        <translation>需要登录</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="47"/>
        <source>Link expired</source>
        <translation>链接已过期</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="49"/>
        <source>Retry at %1</source>
        <translation>%1 重试</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="59"/>
        <source>name lookup failed</source>
        <translation>域名解析失败</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="60"/>
        <source>connection refused</source>
        <translation>连接被拒绝</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="61"/>
        <source>no answer in time</source>
        <translation>响应超时</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="62"/>
        <source>connection reset</source>
        <translation>连接被重置</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="63"/>
        <source>the server closed the connection</source>
        <translation>服务器关闭了连接</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="64"/>
        <source>the server&apos;s answer could not be read</source>
        <translation>无法读取服务器的响应</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="65"/>
        <source>too many redirects</source>
        <translation>重定向次数过多</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="66"/>
        <source>secure connection failed</source>
        <translation>安全连接失败</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="67"/>
        <source>its certificate is not trusted</source>
        <translation>其证书不受信任</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="68"/>
        <source>connection failed</source>
        <translation>连接失败</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="83"/>
        <source>permission denied</source>
        <translation>没有权限</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="85"/>
        <source>no such file or folder</source>
        <translation>文件或文件夹不存在</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="87"/>
        <source>no space left on the disk</source>
        <translation>磁盘空间已满</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="89"/>
        <source>the disk is read-only</source>
        <translation>磁盘是只读的</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="91"/>
        <source>it is a folder</source>
        <translation>它是一个文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="93"/>
        <source>the address is already in use</source>
        <translation>地址已被占用</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="95"/>
        <source>the address is not on this computer</source>
        <translation>该地址不属于这台电脑</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="108"/>
        <source>%1 is empty (0 bytes): the download failed; not a model</source>
        <translation>%1 是空文件（0 字节）：下载失败，不是模型</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="110"/>
        <source>%1 is a Git LFS pointer (%2), not the model itself: download the real file</source>
        <translation>%1 是 Git LFS 指针文件（%2），不是模型本身：请下载真正的文件</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="112"/>
        <source>%1 is an HTML page (%2), not a model: the server sent an error, login or captcha page instead of the file. Get a fresh link and download again</source>
        <translation>%1 是网页（%2），不是模型：服务器返回了错误页、登录页或验证码页面，而不是文件。请获取新链接后重新下载</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="115"/>
        <source>%1 is a JSON text (%2), probably an error answer from the server, not a model</source>
        <translation>%1 是 JSON 文本（%2），可能是服务器返回的错误信息，不是模型</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="117"/>
        <source>%1 is an incomplete PyTorch archive (%2): its end is missing, the download was cut short. Download it again</source>
        <translation>%1 是不完整的 PyTorch 压缩包（%2）：缺少结尾，下载被中断。请重新下载</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="120"/>
        <source>%1 does not look like a PyTorch checkpoint: not placed</source>
        <translation>%1 看起来不是 PyTorch 检查点：未放入</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="122"/>
        <source>%1 is not a valid safetensors file (bad header): not placed</source>
        <translation>%1 不是有效的 safetensors 文件（文件头损坏）：未放入</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="128"/>
        <source>No cookies found in the pasted cookies.txt (no cookie for this host in it)</source>
        <translation>粘贴的 cookies.txt 中没有找到 Cookie（其中没有此站点的 Cookie）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="130"/>
        <source>No cookies found in the pasted Cookie header</source>
        <translation>粘贴的 Cookie 请求头中没有找到 Cookie</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="131"/>
        <source>No cookies found in the pasted command (no Cookie header or -b option)</source>
        <translation>粘贴的命令中没有找到 Cookie（没有 Cookie 请求头或 -b 参数）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="143"/>
        <source>the host</source>
        <translation>该站点</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="146"/>
        <source>Log in to %1 first: import your login in Accounts</source>
        <translation>请先登录 %1：在“账号”中导入登录信息</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="148"/>
        <source>(cookies %1)</source>
        <translation>（Cookie：%1）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="150"/>
        <source>Link expired: paste a new link</source>
        <translation>链接已过期：请粘贴新链接</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="152"/>
        <source>This share needs an extraction code: add it to the link (提取码)</source>
        <translation>此分享需要提取码：请把提取码加到链接后</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="154"/>
        <source>Wrong extraction code for this share</source>
        <translation>此分享的提取码错误</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="156"/>
        <source>The host asks for a captcha: open the link in a browser once, then try again</source>
        <translation>站点要求验证码：请先在浏览器中打开一次链接，然后重试</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="158"/>
        <source>Download quota exceeded on this host</source>
        <translation>已超出该站点的下载配额</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="160"/>
        <source>The host is limiting this account: too many connections or requests</source>
        <translation>站点正在限制此账号：连接或请求过多</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="162"/>
        <source>Not enough disk space</source>
        <translation>磁盘空间不足</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="164"/>
        <source>Not enough disk space: need %1, only %2 free</source>
        <translation>磁盘空间不足：需要 %1，仅剩 %2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="167"/>
        <source>%1 refused the download (HTTP %2)</source>
        <translation>%1 拒绝了下载（HTTP %2）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="169"/>
        <source>%1 sent a web page instead of the file</source>
        <translation>%1 返回的是网页而不是文件</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="171"/>
        <source>The file or share no longer exists</source>
        <translation>文件或分享已不存在</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="173"/>
        <source>%1 mismatch: the file was not saved under its final name</source>
        <translation>%1 校验不符：文件未以最终名称保存</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="176"/>
        <source>Size mismatch: expected %1 bytes, got %2</source>
        <translation>大小不符：应为 %1 字节，实际 %2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="179"/>
        <source>The file on the server changed since the download began</source>
        <translation>下载开始后服务器上的文件已更改</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="181"/>
        <source>Cannot reach %1: %2</source>
        <translation>无法连接 %1：%2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="183"/>
        <source>Not a link Zhilian knows how to download</source>
        <translation>直链无法下载这种链接</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="185"/>
        <source>Stopped by the user</source>
        <translation>已被用户停止</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="187"/>
        <source>Stopped at the time limit; Retry continues from where it stopped</source>
        <translation>已到时间限制而停止；重试会从中断处继续</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="190"/>
        <source>No data from %1 for %2 s; the partial file is kept and trying again resumes</source>
        <translation>%2 秒内未从 %1 收到任何数据；已保留未完成的文件，重试会从中断处继续</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="193"/>
        <source>%1 keeps failing; the partial file is kept and trying again resumes</source>
        <translation>%1 一直连接失败；已保留未完成的文件，重试会从中断处继续</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="196"/>
        <source>Downloaded, but not placed in %1: %2</source>
        <translation>已下载，但未放入 %1：%2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="198"/>
        <source>Downloaded, but not placed: no HeyGem / Wav2Lip install is set in Settings</source>
        <translation>已下载，但未放入：设置中没有指定 HeyGem / Wav2Lip 安装位置</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="200"/>
        <source>The full link was not saved (no system keyring to encrypt it): paste the link again</source>
        <translation>完整链接未保存（没有可用于加密它的系统密钥环）：请重新粘贴链接</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="202"/>
        <source>Unexpected error: %1 (details in the log)</source>
        <translation>意外错误：%1（详情见日志）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="204"/>
        <source>File not found: %1</source>
        <translation>找不到文件：%1</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="209"/>
        <source>%1 is %2 bytes, expected %3: the download is incomplete or a different file; not placed</source>
        <translation>%1 大小为 %2 字节，应为 %3：下载不完整或不是同一个文件；未放入</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="212"/>
        <source>%1 is not the file that was asked for (its SHA-256 differs); not placed</source>
        <translation>%1 不是所要求的文件（SHA-256 不同）；未放入</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="215"/>
        <source>Zhilian does not know where %1 goes in a %2 install</source>
        <translation>直链不知道 %1 应放在 %2 安装中的哪个位置</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="218"/>
        <source>Not enough space in %1 to copy %2 (%3): not placed</source>
        <translation>%1 空间不足，无法复制 %2（%3）：未放入</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="221"/>
        <source>The copy of %1 does not match the original: the disk or the connection to it is faulty; not placed</source>
        <translation>%1 的副本与原文件不一致：磁盘或与磁盘的连接有故障；未放入</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="224"/>
        <source>Cannot replace %1: if the app using it is running, stop it and try again (the new file was not placed)</source>
        <translation>无法替换 %1：如果使用它的程序正在运行，请先停止再重试（新文件未放入）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="227"/>
        <source>Could not place %1 at %2: %3; the file there (if any) was not changed</source>
        <translation>无法把 %1 放到 %2：%3；那里原有的文件（如有）未被改动</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="230"/>
        <source>This is the official HeyGem / Duix.Avatar (Docker) setup: its model weights live inside the Docker images. A model file cannot be handed off here: load an image archive with `docker load -i FILE.tar` and recreate the containers instead.</source>
        <translation>这是官方的 HeyGem / Duix.Avatar（Docker）部署：模型权重位于 Docker 镜像内，无法在此放入模型文件。请用 `docker load -i FILE.tar` 加载镜像归档，然后重新创建容器。</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="234"/>
        <source>%1 does not look like a HeyGem or Wav2Lip install</source>
        <translation>%1 看起来不是 HeyGem 或 Wav2Lip 的安装目录</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="235"/>
        <source>%1 is not a folder</source>
        <translation>%1 不是文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="237"/>
        <source>Cannot share %1: no such file</source>
        <translation>无法分享 %1：文件不存在</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="239"/>
        <source>Cannot share %1: only files can be shared (watch a folder instead)</source>
        <translation>无法分享 %1：只能分享文件（文件夹请改用监视）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="241"/>
        <source>Cannot share %1: %2</source>
        <translation>无法分享 %1：%2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="243"/>
        <source>The password is too long (at most %1 characters)</source>
        <translation>密码太长（最多 %1 个字符）</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="245"/>
        <source>The sharing server cannot listen on %1: %2</source>
        <translation>分享服务器无法在 %1 上监听：%2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="246"/>
        <source>The sharing server could not start: %1</source>
        <translation>分享服务器无法启动：%1</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="248"/>
        <source>Cannot open the share store %1: %2</source>
        <translation>无法打开分享数据库 %1：%2</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="250"/>
        <source>No usable system keyring (Secret Service, Windows Credential Manager or macOS Keychain): logins and share links can be kept for this session only</source>
        <translation>没有可用的系统密钥环（Secret Service、Windows 凭据管理器或 macOS 钥匙串）：登录信息和分享链接只能在本次会话中保留</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="253"/>
        <source>Give the host the cookies belong to, e.g. pan.baidu.com</source>
        <translation>请填写这些 Cookie 所属的站点，例如 pan.baidu.com</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="255"/>
        <source>Nothing to import: paste a Cookie header, a cookies.txt or a &apos;Copy as cURL&apos; command</source>
        <translation>没有可导入的内容：请粘贴 Cookie 请求头、cookies.txt 或“复制为 cURL”得到的命令</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="259"/>
        <source>This command was copied from %1, not from %2: its cookies would be sent to the wrong host</source>
        <translation>此命令复制自 %1，而不是 %2：其中的 Cookie 会被发送到错误的站点</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="264"/>
        <source>; try again in %1 min</source>
        <translation>；请 %1 分钟后重试</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="300"/>
        <source>; retry at %1</source>
        <translation>；将于 %1 重试</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="307"/>
        <source>Needs a new link</source>
        <translation>需要新链接</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="309"/>
        <source>Needs a login</source>
        <translation>需要登录</translation>
    </message>
    <message>
        <location filename="../../gui/outcome.py" line="310"/>
        <source>Download failed</source>
        <translation>下载失败</translation>
    </message>
</context>
<context>
    <name>RpcSettingsTab</name>
    <message>
        <location filename="../../gui/browser_rpc.py" line="146"/>
        <source>Accept downloads from browser tools and aria2 clients (this computer only)</source>
        <translation>接受浏览器工具和 aria2 客户端发来的下载（仅限本机）</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="147"/>
        <source>RPC port:</source>
        <translation>RPC 端口：</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="148"/>
        <source>Any free port</source>
        <translation>任意空闲端口</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="149"/>
        <source>Secret:</source>
        <translation>密钥：</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="150"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="151"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="152"/>
        <source>New secret</source>
        <translation>新密钥</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="153"/>
        <source>Web pages allowed to call (one origin per line, e.g. AriaNg):</source>
        <translation>允许调用的网页（每行一个来源，例如 AriaNg）：</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="155"/>
        <source>Folders a client may save to, besides the download folder:</source>
        <translation>除下载文件夹外，客户端可保存到的文件夹：</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="156"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="186"/>
        <source>The secret was copied: paste it into the browser tool.</source>
        <translation>密钥已复制：请粘贴到浏览器工具中。</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="193"/>
        <source>Not running: %1</source>
        <translation>未运行：%1</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="195"/>
        <source>Running at http://127.0.0.1:%1/jsonrpc</source>
        <translation>运行于 http://127.0.0.1:%1/jsonrpc</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="197"/>
        <source>Not running</source>
        <translation>未运行</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="199"/>
        <source>(no system keyring: the secret changes at every start)</source>
        <translation>（没有系统密钥环：每次启动时密钥都会改变）</translation>
    </message>
    <message>
        <location filename="../../gui/browser_rpc.py" line="203"/>
        <source>Folder a client may save to</source>
        <translation>客户端可保存到的文件夹</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../gui/settings_dialog.py" line="186"/>
        <source>Settings cannot be loaded in this build.</source>
        <translation>此版本无法加载设置。</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="190"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="191"/>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="192"/>
        <source>HeyGem</source>
        <translation>HeyGem</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="193"/>
        <source>Interface</source>
        <translation>界面</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="196"/>
        <source>Download folder:</source>
        <translation>下载文件夹：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="197"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="198"/>
        <source>Downloads at once:</source>
        <translation>同时下载数：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="199"/>
        <source>Downloads per host:</source>
        <translation>每个主机的下载数：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="200"/>
        <source>Connections per download:</source>
        <translation>每个下载的连接数：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="201"/>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="202"/>
        <source>Total speed limit:</source>
        <translation>总限速：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="203"/>
        <source>Connections per host:</source>
        <translation>每个主机的连接数：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="204"/>
        <source>Automatic retries:</source>
        <translation>自动重试次数：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="205"/>
        <source>Unlimited</source>
        <translation>不限速</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="206"/>
        <source> KiB/s</source>
        <translation> KiB/秒</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="207"/>
        <source>Proxy:</source>
        <translation>代理：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="208"/>
        <source>none, or http://host:port, socks5://host:port</source>
        <translation>留空表示不使用，或 http://主机:端口、socks5://主机:端口</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="209"/>
        <source>HeyGem / Wav2Lip installs that finished models can be handed off to.</source>
        <translation>下载完成的模型可以交给这些 HeyGem / Wav2Lip 安装。</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="210"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="211"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="212"/>
        <source>Find installs</source>
        <translation>查找安装</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="213"/>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="214"/>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="217"/>
        <source>Closing the window keeps Zhilian running in the tray</source>
        <translation>关闭窗口后直链在托盘中继续运行</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="218"/>
        <source>Offer copied links for download (watch the clipboard)</source>
        <translation>复制链接时提示下载（监视剪贴板）</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="219"/>
        <source>Show notifications</source>
        <translation>显示通知</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="222"/>
        <source>Download folder</source>
        <translation>下载文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="227"/>
        <source>HeyGem / Wav2Lip folder</source>
        <translation>HeyGem / Wav2Lip 文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="248"/>
        <source>No HeyGem or Wav2Lip install found in the usual places.</source>
        <translation>在常用位置没有找到 HeyGem 或 Wav2Lip 安装。</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="261"/>
        <source>The proxy must look like http://host:port or socks5://host:port</source>
        <translation>代理格式应为 http://主机:端口 或 socks5://主机:端口</translation>
    </message>
    <message>
        <location filename="../../gui/settings_dialog.py" line="194"/>
        <source>Browser</source>
        <translation>浏览器</translation>
    </message>
</context>
<context>
    <name>ShareDialog</name>
    <message>
        <location filename="../../gui/share_dialog.py" line="271"/>
        <source>Share link — {name}</source>
        <extracomment>an answer of the core was shown (tests wait on it)</extracomment>
        <translation>分享链接 — {name}</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="277"/>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="279"/>
        <source>1 hour</source>
        <translation>1 小时</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="279"/>
        <source>24 hours</source>
        <translation>24 小时</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="279"/>
        <source>7 days</source>
        <translation>7 天</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="280"/>
        <source>30 days</source>
        <translation>30 天</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="280"/>
        <source>Never</source>
        <translation>永久有效</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="283"/>
        <source>Link works for:</source>
        <translation>链接有效期：</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="286"/>
        <source>optional</source>
        <translation>可选</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="287"/>
        <source>Password:</source>
        <translation>访问密码：</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="291"/>
        <source>no limit</source>
        <translation>不限速</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="292"/>
        <source>Speed cap:</source>
        <translation>限速：</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="293"/>
        <source>Allow devices on my local network (phones, other PCs)</source>
        <translation>允许局域网内的设备访问（手机、其他电脑）</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="298"/>
        <source>Create link</source>
        <translation>创建链接</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="308"/>
        <source>Use a session-only secret (links stop working when the app closes)</source>
        <translation>使用仅限本次运行的密钥（关闭应用后链接失效）</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="317"/>
        <source>the link appears here</source>
        <translation>链接将显示在这里</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="318"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="332"/>
        <source>Start sharing server</source>
        <translation>启动分享服务</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="338"/>
        <source>Active shares</source>
        <translation>有效的分享</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="424"/>
        <source>Settings not saved: </source>
        <translation>设置未保存：</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="450"/>
        <source>your local network</source>
        <translation>局域网</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="450"/>
        <source>this computer only</source>
        <translation>仅限本机</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="451"/>
        <source>Sharing server running at {base} ({where})</source>
        <translation>分享服务运行于 {base}（{where}）</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="454"/>
        <source>The sharing server is not running: links work once it is started (here or with `{command}`).</source>
        <translation>分享服务未运行：启动后链接才能打开（在这里启动，或运行 `{command}`）。</translation>
    </message>
</context>
<context>
    <name>SharesListWidget</name>
    <message>
        <location filename="../../gui/share_dialog.py" line="71"/>
        <source>far future</source>
        <translation>遥远的将来</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="72"/>
        <source>invalid</source>
        <translation>无效</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="135"/>
        <source>Name</source>
        <extracomment>a reload arrived (its rows are shown)</extracomment>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="135"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="135"/>
        <source>Expires</source>
        <translation>到期时间</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="136"/>
        <source>Downloads</source>
        <translation>下载次数</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="136"/>
        <source>Sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="136"/>
        <source>Protection</source>
        <translation>保护</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="146"/>
        <source>Show expired and revoked</source>
        <translation>显示已过期和已撤销的分享</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="148"/>
        <source>Copy link</source>
        <translation>复制链接</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="150"/>
        <source>Revoke</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="152"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="188"/>
        <source>password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="191"/>
        <source>never</source>
        <translation>永久有效</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="192"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="206"/>
        <source>active</source>
        <translation>有效</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="206"/>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="206"/>
        <source>revoked</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <location filename="../../gui/share_dialog.py" line="207"/>
        <source>file missing</source>
        <translation>文件已不存在</translation>
    </message>
</context>
<context>
    <name>State</name>
    <message>
        <location filename="../../gui/fmt.py" line="62"/>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="63"/>
        <source>Resolving</source>
        <translation>解析中</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="64"/>
        <source>Downloading</source>
        <translation>下载中</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="65"/>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="66"/>
        <source>Verifying</source>
        <translation>校验中</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="67"/>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="68"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../gui/fmt.py" line="69"/>
        <source>Handed off</source>
        <translation>已交接</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <location filename="../../gui/status_line.py" line="44"/>
        <source>Speed limit:</source>
        <translation>限速：</translation>
    </message>
    <message>
        <location filename="../../gui/status_line.py" line="45"/>
        <source>Unlimited</source>
        <translation>不限速</translation>
    </message>
    <message>
        <location filename="../../gui/status_line.py" line="46"/>
        <source> KiB/s</source>
        <translation> KiB/秒</translation>
    </message>
    <message>
        <location filename="../../gui/status_line.py" line="47"/>
        <source>Total download speed limit (0 = unlimited)</source>
        <translation>总下载限速（0 = 不限速）</translation>
    </message>
    <message>
        <location filename="../../gui/status_line.py" line="71"/>
        <source>%1 downloads · %2 active · %3 waiting · %4 done · %5 failed</source>
        <translation>共 %1 个下载 · %2 个进行中 · %3 个等待 · %4 个完成 · %5 个失败</translation>
    </message>
    <message>
        <location filename="../../gui/status_line.py" line="75"/>
        <source>↓ %1</source>
        <translation>↓ %1</translation>
    </message>
    <message>
        <location filename="../../gui/status_line.py" line="77"/>
        <source>%1 active, %2</source>
        <translation>%1 个进行中，%2</translation>
    </message>
</context>
<context>
    <name>StorageFaultNotice</name>
    <message>
        <location filename="../../gui/storage_fault.py" line="35"/>
        <source>The download queue stopped: %1</source>
        <translation>下载队列已停止：%1</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="43"/>
        <source>Zhilian</source>
        <translation>直链</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="44"/>
        <source>The download queue cannot use its database.</source>
        <translation>下载队列无法使用它的数据库。</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="50"/>
        <source>Repair</source>
        <translation>修复</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="53"/>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="69"/>
        <source>Repairing the queue database…</source>
        <translation>正在修复队列数据库…</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="77"/>
        <source>The queue database was repaired: %1 task(s) kept; the damaged file is saved as %2</source>
        <translation>队列数据库已修复：保留了 %1 个任务；损坏的文件已另存为 %2</translation>
    </message>
    <message>
        <location filename="../../gui/storage_fault.py" line="89"/>
        <source>%1 partial download(s) in the download folders belong to no task; they were kept. Add their link again to resume one, or delete them.</source>
        <translation>下载文件夹中有 %1 个未完成的下载不属于任何任务，已保留。重新添加其链接即可继续下载，或将其删除。</translation>
    </message>
</context>
<context>
    <name>TaskActions</name>
    <message>
        <location filename="../../gui/actions.py" line="97"/>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="97"/>
        <source>Add links (Ctrl+N)</source>
        <translation>添加链接（Ctrl+N）</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="98"/>
        <source>Add from clipboard</source>
        <translation>从剪贴板添加</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="99"/>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="99"/>
        <source>Start or retry the selected downloads</source>
        <translation>开始或重试所选下载</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="100"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="100"/>
        <source>Pause the selected downloads</source>
        <translation>暂停所选下载</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="101"/>
        <source>Pause all</source>
        <translation>全部暂停</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="102"/>
        <source>Resume all</source>
        <translation>全部继续</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="103"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="103"/>
        <source>Remove from the list, keep the file</source>
        <translation>从列表移除，保留文件</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="104"/>
        <source>Remove and delete file</source>
        <translation>移除并删除文件</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="105"/>
        <source>Open file</source>
        <translation>打开文件</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="106"/>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="107"/>
        <source>Copy link</source>
        <translation>复制链接</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="108"/>
        <source>Replace link…</source>
        <translation>更换链接…</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="108"/>
        <source>Paste a new link for an expired one</source>
        <translation>为已过期的链接粘贴新链接</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="109"/>
        <source>Send to HeyGem</source>
        <translation>发送到 HeyGem</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="110"/>
        <source>Share link…</source>
        <translation>分享链接…</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="111"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="112"/>
        <source>Accounts</source>
        <translation>账号</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="112"/>
        <source>Logins for share hosts</source>
        <translation>网盘登录</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="113"/>
        <source>Details pane</source>
        <translation>详情面板</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="114"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="115"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="121"/>
        <source>Filter downloads</source>
        <translation>筛选下载</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="169"/>
        <source>Delete files</source>
        <translation>删除文件</translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/actions.py" line="170"/>
        <source>Remove %n download(s) and delete their files from disk?</source>
        <translation>
            <numerusform>移除 %n 个下载并从磁盘删除其文件吗？</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="181"/>
        <location filename="../../gui/actions.py" line="231"/>
        <source>The file is no longer there: %1</source>
        <translation>文件已不存在：%1</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="196"/>
        <source>The folder does not exist: %1</source>
        <translation>文件夹不存在：%1</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="208"/>
        <source>code: %1</source>
        <translation>提取码: %1</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="219"/>
        <source>Replace link</source>
        <translation>更换链接</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="220"/>
        <source>Paste a new link (and its extraction code) for “%1”.
The download continues from where it stopped.</source>
        <translation>为“%1”粘贴新链接（及其提取码）。
下载会从中断处继续。</translation>
    </message>
    <message>
        <location filename="../../gui/actions.py" line="243"/>
        <source>Handed off to HeyGem</source>
        <translation>已交给 HeyGem</translation>
    </message>
</context>
<context>
    <name>TaskModel</name>
    <message>
        <location filename="../../gui/task_model.py" line="36"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="36"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="37"/>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="37"/>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="38"/>
        <source>ETA</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="38"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="39"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../../gui/task_model.py" line="94"/>
        <source>Added: %1</source>
        <translation>已添加：%1</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <location filename="../../gui/tray.py" line="55"/>
        <source>Show Zhilian</source>
        <translation>显示直链</translation>
    </message>
    <message>
        <location filename="../../gui/tray.py" line="56"/>
        <source>Pause all</source>
        <translation>全部暂停</translation>
    </message>
    <message>
        <location filename="../../gui/tray.py" line="57"/>
        <source>Resume all</source>
        <translation>全部继续</translation>
    </message>
    <message>
        <location filename="../../gui/tray.py" line="58"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../../gui/tray.py" line="59"/>
        <location filename="../../gui/tray.py" line="62"/>
        <source>Zhilian download manager</source>
        <translation>直链下载管理器</translation>
    </message>
</context>
</TS>
